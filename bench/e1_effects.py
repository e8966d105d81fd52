"""E1: simulation study of the action-effect estimate (issue 14, "did it work?").

Each run draws a district from the project's generator (``survey.synthetic``: 4 streets, 32
communities, 150 respondents per community, two waves) with planted action effects
(``generate_district(action_effects=...)``): ``N_EFFECT`` communities get +``POINTS`` latent
points on one sub-dimension from the second wave on, ``N_NULL`` other communities get an
action on another sub-dimension with no effect. Each action is estimated with
``scoring.effects.did_effect`` (comparison group: communities of the same street without an
action on that sub-dimension, or of the same housing type when the street has fewer than 3)
and labelled with ``effect_report`` (the trends' change rule, one BH family per run).

Truth: ``Truth.action_effect`` (the planted effect on the expected 0–100 sub-dimension score;
0 for null actions). Figures per generator setting (``drift=0``: no other change between the
waves; ``drift=1``: the generator's default random drift, 12 % of communities with a real
±5–10 point change of a whole dimension):

- coverage: share of effect actions whose 90 % interval covers the planted effect (want ≥ 0.85);
- null coverage, and the false 改善明显 rate: share of null actions labelled ``up``;
- power: share of effect actions labelled ``up``; bias and RMSE of the estimate.

Each setting is run with the respondent bootstrap alone and with ``heterogeneity=True`` (the
between-community spread of comparison changes added), which is what the service uses.

Run: ``python -m bench E1 --runs 1`` (``RUNS`` seeded districts per setting).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from bench.harness import machine
from scoring.effects import comparison_group, did_effect, effect_report, respondent_subscores
from survey.synthetic import generate_district

ID = "E1"
TITLE = "simulation: action-effect DiD coverage, power and false 改善明显 rate"
RUNS = 100
N_STREETS, N_COMMUNITIES, RESPONDENTS = 4, 32, 150
POINTS = 8.0  # latent points; about 5–6 points on the 0–100 sub-dimension score
N_EFFECT, N_NULL = 4, 4
EFFECT_SUB, NULL_SUB = "D6b", "D2a"
N_BOOT = 400


def _scores(wave: Any, sub_index: int) -> tuple[np.ndarray, np.ndarray]:
    """(respondent score of the sub-dimension, community index) for one synthetic wave."""
    layout = wave.layout
    cols = [layout.column[c] for c in layout.main_codes]
    points = np.array([layout.likert_points[c] for c in layout.main_codes])
    subs = respondent_subscores(
        wave.numeric[:, cols], points, layout.reverse, layout.item_subdim, len(layout.subdim_codes)
    )
    return subs[:, sub_index], np.asarray(wave.community_index)


def one_run(seed: int, drift: float, heterogeneity: bool = False) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    chosen = rng.choice(N_COMMUNITIES, N_EFFECT + N_NULL, replace=False)
    effect_c, null_c = chosen[:N_EFFECT].tolist(), chosen[N_EFFECT:].tolist()
    plan = {c: (EFFECT_SUB, 1, POINTS) for c in effect_c}
    plan.update({c: (NULL_SUB, 1, 0.0) for c in null_c})
    district = generate_district(
        seed=seed,
        n_streets=N_STREETS,
        n_communities=N_COMMUNITIES,
        waves=("2025Q2", "2025Q4"),
        respondents_per_community=RESPONDENTS,
        drift=drift,
        action_effects=plan,
    )
    codes = district.truth.subdimension_codes
    street = np.array([c.street_code for c in district.communities])
    housing = np.array([c.housing_type for c in district.communities])
    rows, effects = [], []
    for sub, actions in ((EFFECT_SUB, effect_c), (NULL_SUB, null_c)):
        s = codes.index(sub)
        before, cb = _scores(district.waves[0], s)
        after, ca = _scores(district.waves[1], s)
        eligible = np.ones(N_COMMUNITIES, dtype=bool)
        eligible[actions] = False
        for c in actions:
            group, _basis = comparison_group(c, street, housing, eligible)
            effect = did_effect(
                (before[cb == c], after[ca == c]),
                [(before[cb == k], after[ca == k]) for k in group.tolist()],
                n_boot=N_BOOT,
                heterogeneity=heterogeneity,
                random_state=seed * 1000 + c,
            )
            truth = 0.0
            if district.truth.action_effect is not None:
                truth = float(district.truth.action_effect[1, c, s])
            effects.append(effect)
            rows.append({"null": sub == NULL_SUB, "truth": truth, "effect": effect})
    report = effect_report(effects)
    for row, label in zip(rows, report.label.tolist(), strict=True):
        row["label"] = label
    return rows


def simulate(runs: int, drift: float, heterogeneity: bool = False) -> dict[str, float]:
    rows = [r for seed in range(runs) for r in one_run(seed, drift, heterogeneity)]
    eff = [r for r in rows if not r["null"]]
    null = [r for r in rows if r["null"]]

    def covers(r: dict[str, Any]) -> bool:
        e = r["effect"]
        return bool(e.ci_low <= r["truth"] <= e.ci_high)

    err = np.array([r["effect"].estimate - r["truth"] for r in eff])
    return {
        "coverage": float(np.mean([covers(r) for r in eff])),
        "null_coverage": float(np.mean([covers(r) for r in null])),
        "false_up_rate": float(np.mean([r["label"] == "up" for r in null])),
        "null_flat_rate": float(np.mean([r["label"] == "flat" for r in null])),
        "power": float(np.mean([r["label"] == "up" for r in eff])),
        "bias": float(err.mean()),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mean_planted": float(np.mean([r["truth"] for r in eff])),
        "effect_actions": len(eff),
        "null_actions": len(null),
    }


def run(runs: int) -> dict[str, Any]:
    del runs  # a simulation study: its size is RUNS seeded districts, not timed repeats
    start = time.perf_counter()
    figures = {
        "drift0": simulate(RUNS, 0.0),
        "drift0_heterogeneity": simulate(RUNS, 0.0, heterogeneity=True),
        "drift1": simulate(RUNS, 1.0),
        "drift1_heterogeneity": simulate(RUNS, 1.0, heterogeneity=True),
    }
    elapsed = time.perf_counter() - start
    clean = figures["drift0_heterogeneity"]
    real = figures["drift1_heterogeneity"]
    return {
        "id": ID,
        "median_s": elapsed,
        "params": {
            "runs": RUNS,
            "streets": N_STREETS,
            "communities": N_COMMUNITIES,
            "respondents": RESPONDENTS,
            "latent_points": POINTS,
            "n_boot": N_BOOT,
            "level": 0.90,
        },
        "figures": figures,
        "note": (
            f"service setting (heterogeneity): drift0 coverage {clean['coverage']:.3f}, false up "
            f"{clean['false_up_rate']:.3f}; drift1 coverage {real['coverage']:.3f}, false up "
            f"{real['false_up_rate']:.3f}"
        ),
        "machine": machine(),
    }
