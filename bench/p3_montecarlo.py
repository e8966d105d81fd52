"""P3: Monte Carlo weight uncertainty, 10,000 draws × 3,000 communities × 6 dimensions.

Subject: :func:`scoring.montecarlo.monte_carlo_ranks` (Dirichlet draws around the model's
weights, median rank and 5–95% interval). Reference (issue 15): COINr's cost per replication of
its uncertainty analysis, ≈ 0.1 s, measured in R by the issue's author (R is not on the
development machines, so it is a stated constant, not timed here); ``ratio`` is COINr's
0.1 s × 10,000 draws over our time, target ≥ 500×. For information: the one-draw-at-a-time
numpy loop (draw, aggregate, rank, store), timed on 50 draws and extrapolated; each of its
draws is already C-speed, so it is not what the tool is compared with. Also: pymcdm TOPSIS per
draw (extrapolated) against :func:`scoring.mcda.topsis` on all draws at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import rankdata

from bench.harness import interleaved, machine, summary, time_once
from scoring.montecarlo import monte_carlo_ranks, weight_draws

ID = "P3"
TITLE = "Monte Carlo 10k weight draws: median rank + 5-95% vs one-draw loop"
DRAWS = 10_000
LOOP_DRAWS = 50
M, D = 3000, 6
# Seconds per replication of COINr's uncertainty analysis (issue 15, measured in R by its author).
COINR_PER_REPLICATION_S = 0.1


def run(runs: int) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    dims = np.clip(rng.normal(65, 8, size=(M, 1)) + rng.normal(0, 6, size=(M, D)), 0, 100)
    base = np.array([0.130, 0.206, 0.206, 0.130, 0.164, 0.164])

    def subject() -> Any:
        return monte_carlo_ranks(dims, base, n_draws=DRAWS, random_state=0)

    def loop() -> Any:
        gen = np.random.default_rng(0)
        ranks = []
        for _ in range(LOOP_DRAWS):
            w = gen.dirichlet(100 * base)
            ranks.append(rankdata(-(dims @ w), method="min"))
        arr = np.array(ranks)
        return np.median(arr, axis=0), np.quantile(arr, [0.05, 0.95], axis=0)

    subj, ref = interleaved(subject, loop, runs=runs, ref_runs=min(runs, 3))
    s = summary(subj)
    loop_total = float(np.median(ref)) / LOOP_DRAWS * DRAWS
    coinr_total = COINR_PER_REPLICATION_S * DRAWS
    extra: dict[str, Any] = {}
    try:
        from pymcdm.methods import TOPSIS

        from scoring.mcda import topsis

        W = weight_draws(base, DRAWS, random_state=0)
        types = np.ones(D)
        method = TOPSIS()
        per_draw = time_once(lambda: [method(dims, W[k], types) for k in range(LOOP_DRAWS)])
        ours = time_once(lambda: topsis(dims, W))
        extra = {
            "topsis_pymcdm_extrapolated_s": per_draw / LOOP_DRAWS * DRAWS,
            "topsis_batch_s": ours,
        }
    except ImportError:  # pymcdm is a dev-only oracle
        extra = {"topsis_note": "pymcdm not installed"}
    return {
        "id": ID,
        **s,
        "ref_median_s": coinr_total,
        "ratio": coinr_total / s["median_s"],
        "per_draw_ms": s["median_s"] / DRAWS * 1000,
        "numpy_loop_s": loop_total,
        "numpy_loop_ratio": loop_total / s["median_s"],
        **extra,
        "note": f"target ratio ≥ 500 against COINr's {COINR_PER_REPLICATION_S} s per"
        f" replication (stated, measured in R); numpy one-draw loop extrapolated from"
        f" {LOOP_DRAWS} draws, for information",
        "params": {
            "communities": M,
            "dimensions": D,
            "draws": DRAWS,
            "runs": runs,
            "weights": "Dirichlet(100 · expert-v0)",
            "reference": f"COINr {COINR_PER_REPLICATION_S} s per replication × {DRAWS} (stated)",
            "information": f"one draw at a time (numpy + scipy rankdata), {LOOP_DRAWS} draws timed",
            "machine": machine(),
        },
    }
