"""S1: simulation study of the issue-12 statistics (change labels, Fay–Herriot, rank sets).

Two levels:

- :func:`simulate_means` draws true community means and direct estimates with known SEs (fast;
  ``tests/scoring/test_simulation.py`` runs it with few replicates).
- :func:`simulate_survey` uses the project's generator (``survey.synthetic``, 83 communities in
  11 streets, n ≈ 40 respondents per community, ``drift=0`` for the null, ``true_changes`` for
  known changes); direct estimates are the equal-weight tree of community item means with
  delete-one jackknife SEs, compared with the generator's ``Truth.sample_index`` (what an
  unweighted respondent mean estimates).

Figures: share of null reports with any false label (want ≤ 0.12), FDR with true changes
(≤ 0.12), 90 % coverage of direct and Fay–Herriot intervals (0.85–0.95), RMSE of both (FH ≤
direct), joint rank-set coverage (≥ 0.9). A third level, :func:`simulate_pipeline`, runs the
product's own path (SQLite seed → ``compute_snapshot`` with raking, quality exclusions and
bootstrap SEs → the trend report's labels over 83 × 7 cells). Run: ``python -m bench S1 --runs 1``.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from bench.harness import machine
from scoring.change import change_report
from scoring.rank_sets import rank_sets
from scoring.small_area import dummies, fay_herriot

ID = "S1"
TITLE = "simulation: change labels FWER/FDR, FH and direct coverage/RMSE, rank-set coverage"


def _summaries(
    null_any: list[bool],
    fdp: list[float],
    power: list[float],
    cover_d: list[float],
    cover_fh: list[float],
    se2_d: list[float],
    se2_fh: list[float],
    rank_cover: list[bool],
) -> dict[str, float]:
    return {
        "null_any_false_label": float(np.mean(null_any)),
        "fdr": float(np.mean(fdp)),
        "power": float(np.mean(power)),
        "coverage_direct": float(np.mean(cover_d)),
        "coverage_fh": float(np.mean(cover_fh)),
        "rmse_direct": float(np.sqrt(np.mean(se2_d))),
        "rmse_fh": float(np.sqrt(np.mean(se2_fh))),
        "rank_set_coverage": float(np.mean(rank_cover)),
    }


def _score_report(
    delta: np.ndarray, se: np.ndarray, truly: np.ndarray
) -> tuple[bool, float, float]:
    r = change_report(delta, se, fdr=0.10)
    sig = r.significant
    false = sig & ~truly
    n_sig = int(sig.sum())
    fdp = float(false.sum() / n_sig) if n_sig else 0.0
    power = float((sig & truly).sum() / truly.sum()) if truly.any() else float("nan")
    return bool(false.any()), fdp, power


def _level_stats(
    theta: np.ndarray, y: np.ndarray, se: np.ndarray, streets: np.ndarray
) -> tuple[float, float, float, float, bool]:
    fh = fay_herriot(y, se**2, dummies(streets.tolist()), level=0.90)
    cover_d = float(np.mean((fh.direct_low <= theta) & (theta <= fh.direct_high)))
    cover_fh = float(np.mean((fh.ci_low <= theta) & (theta <= fh.ci_high)))
    rs = rank_sets(y, se, alpha=0.10)
    true_rank = 1 + (theta[None, :] > theta[:, None]).sum(axis=1)
    covered = bool(((rs.lower <= true_rank) & (true_rank <= rs.upper)).all())
    return (
        cover_d,
        cover_fh,
        float(np.mean((y - theta) ** 2)),
        float(np.mean((fh.estimate - theta) ** 2)),
        covered,
    )


def simulate_means(
    reps: int = 200,
    *,
    seed: int = 0,
    m: int = 83,
    n_streets: int = 11,
    nodes: int = 7,
    n_per: int = 40,
    change_share: float = 0.1,
    change_size: float = 6.0,
) -> dict[str, Any]:
    """Community-mean-level simulation (see the module docstring)."""
    rng = np.random.default_rng(seed)
    streets = np.sort(rng.integers(0, n_streets, m))
    streets[:n_streets] = np.arange(n_streets)
    out: dict[str, list[Any]] = {k: [] for k in ("n", "f", "p", "cd", "cf", "sd", "sf", "rc")}
    for _ in range(reps):
        street_eff = rng.normal(0, 4, n_streets)
        theta = 68 + street_eff[streets] + rng.normal(0, 3, m)
        sd_resp = rng.uniform(10, 14, m)
        n = rng.integers(n_per - 4, n_per + 5, m)
        se = sd_resp / np.sqrt(n)
        y = theta + rng.normal(0, se)
        cd, cf, sd, sf, rc = _level_stats(theta, y, se, streets)
        # change reports: communities × nodes, SE of a change from two independent waves
        se_change = np.sqrt(2) * se[:, None] * rng.uniform(0.9, 1.6, (m, nodes))
        null_delta = rng.normal(0, se_change)
        any_false, _, _ = _score_report(null_delta, se_change, np.zeros((m, nodes), bool))
        truly = rng.random((m, nodes)) < change_share
        true_delta = np.where(truly, rng.choice([-1.0, 1.0], (m, nodes)) * change_size, 0.0)
        _, fdp, power = _score_report(true_delta + rng.normal(0, se_change), se_change, truly)
        for k, v in zip(out, (any_false, fdp, power, cd, cf, sd, sf, rc), strict=True):
            out[k].append(v)
    return _summaries(*out.values()) | {"reps": reps}


def _direct(wave: Any, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Equal-weight tree of community item means; delete-one jackknife SE per community."""
    lay = wave.layout
    cols = [lay.column[c] for c in lay.main_codes]
    X = wave.numeric[:, cols].astype(np.float64)
    k = np.array([lay.likert_points[c] for c in lay.main_codes], dtype=np.float64)
    X[(X < 1) | (k < X)] = np.nan  # no answer (−1) and don't know (9)
    S = np.where(lay.reverse, k - X, X - 1) / (k - 1) * 100
    n_sub, n_dim = len(lay.subdim_codes), len(lay.dim_codes)
    A_sub = np.zeros((S.shape[1], n_sub))
    A_sub[np.arange(S.shape[1]), lay.item_subdim] = 1.0
    A_dim = np.zeros((n_sub, n_dim))
    A_dim[np.arange(n_sub), lay.subdim_dim] = 1.0
    A_sub /= A_sub.sum(axis=0)
    A_dim /= A_dim.sum(axis=0)

    def tree(item_means: np.ndarray) -> np.ndarray:
        return np.asarray(((item_means @ A_sub) @ A_dim).mean(axis=-1))

    M = ~np.isnan(S)
    S0 = np.where(M, S, 0.0)
    y, se = np.empty(m), np.empty(m)
    for c in range(m):
        rows = wave.community_index == c
        s0, mm = S0[rows], M[rows]
        tot, cnt = s0.sum(axis=0), mm.sum(axis=0)
        y[c] = tree(tot / cnt)
        loo = tree((tot - s0) / (cnt - mm))
        nc = rows.sum()
        se[c] = np.sqrt((nc - 1) / nc * np.sum((loo - loo.mean()) ** 2))
    return y, se


def simulate_survey(
    reps: int = 40, *, seed: int = 0, n_per: int = 40, n_changed: int = 8, change_size: float = 8.0
) -> dict[str, Any]:
    """Simulation with the survey generator (see the module docstring)."""
    from survey.questionnaire.model import load_default
    from survey.synthetic import generate_district

    q = load_default()
    out: dict[str, list[Any]] = {k: [] for k in ("n", "f", "p", "cd", "cf", "sd", "sf", "rc")}
    for r in range(reps):
        rng = np.random.default_rng([seed, r])
        changed = rng.choice(83, n_changed, replace=False)
        shifts = {int(c): float(rng.choice([-1.0, 1.0]) * change_size) for c in changed}
        results = []
        for drift, true_changes in ((0.0, None), (0.0, shifts)):
            d = generate_district(
                seed=seed * 10_000 + r,
                waves=("W1", "W2"),
                respondents_per_community=n_per,
                questionnaire=q,
                drift=drift,
                true_changes=true_changes,
            )
            m = len(d.communities)
            (y1, s1), (y2, s2) = (_direct(w, m) for w in d.waves)
            results.append((d, y1, s1, y2, s2))
        # null: no change anywhere (drift = 0); overall index only (one node per community)
        d, y1, s1, y2, s2 = results[0]
        any_false, _, _ = _score_report(
            (y2 - y1)[:, None], np.hypot(s1, s2)[:, None], np.zeros((m, 1), bool)
        )
        d2, y1b, s1b, y2b, s2b = results[1]
        truly = np.abs(d2.truth.sample_index[1] - d2.truth.sample_index[0]) > 1e-9
        _, fdp, power = _score_report(
            (y2b - y1b)[:, None], np.hypot(s1b, s2b)[:, None], truly[:, None]
        )
        streets = np.array([c.street_code for c in d.communities])
        theta = d.truth.sample_index[0]
        cd, cf, sd, sf, rc = _level_stats(theta, y1, s1, streets)
        for k, v in zip(out, (any_false, fdp, power, cd, cf, sd, sf, rc), strict=True):
            out[k].append(v)
    return _summaries(*out.values()) | {"reps": reps}


def _pipeline_report(
    district: Any, folder: str, bootstrap: int
) -> tuple[list[dict[str, Any]], list[bool]]:
    """Seed a generated district into SQLite, score every wave as ``meihao score`` does, and
    return the latest change of every community × (overall + dimensions) as the pages label
    it (``api/services/change_rule.py``: raking, quality exclusions, bootstrap SEs, BH), and
    whether each published 90 % index interval (every wave × community) covers the
    generator's population truth ``Truth.index``."""
    from sqlmodel import Session

    from api.services.snapshot_store import clear_cache
    from api.services.snapshots import compute_snapshot
    from api.services.trends import district_trend
    from survey.storage.db import make_engine
    from survey.storage.migrate import upgrade
    from survey.synthetic.seed import seed_database

    engine = make_engine(f"sqlite:///{folder}/s1.db")
    upgrade(engine)
    seed_database(engine, district)
    clear_cache()
    covered = []
    codes = district.community_codes
    with Session(engine) as session:
        for w, wave in enumerate(district.wave_codes):
            snap = compute_snapshot(
                session=session, wave_code=wave, model_name=None, bootstrap=bootstrap, actor="s1"
            )
            for row in snap.results["communities"]:
                if row["ci_low"] is not None:
                    truth = district.truth.index[w, codes.index(row["code"])]
                    covered.append(bool(row["ci_low"] <= truth <= row["ci_high"]))
        report = district_trend(session=session, model_name=None)
    clear_cache()
    engine.dispose()
    cells = []
    for row in report["communities"]:
        for node, change in (
            ("overall", row["last_change"]),
            *row["last_dimension_changes"].items(),
        ):
            cells.append({"code": row["code"], "node": node, **change})
    return cells, covered


@contextlib.contextmanager
def _calibration(mode: str) -> Iterator[None]:
    """Score with ``bootstrap_calibration=mode`` (the product default is ``"auto"``:
    re-raked replicates when the wave has margins); ``"fixed"`` reproduces the earlier
    fixed-weight bootstrap, for before/after figures."""
    import scoring.pipeline

    original = scoring.pipeline.score_wave
    if mode == "auto":
        yield
        return
    scoring.pipeline.score_wave = functools.partial(original, bootstrap_calibration=mode)
    try:
        yield
    finally:
        scoring.pipeline.score_wave = original


def simulate_pipeline(
    reps: int = 20,
    *,
    seed: int = 0,
    n_per: int = 40,
    n_changed: int = 8,
    change_size: float = 8.0,
    bootstrap: int = 200,
    calibration: str = "auto",
) -> dict[str, Any]:
    """The product's own path (seed → ``compute_snapshot`` → trend report) on generated
    districts, 83 communities × (overall + 6 dimensions) per report: share of null reports
    (``drift=0``) with any false label and with more than 3, and the false-discovery
    proportion when ``n_changed`` communities truly change by ``change_size`` latent points
    (every cell of a changed community is a true change), and the coverage of the published
    90 % index intervals of the null districts (against ``Truth.index``). ``calibration``:
    the bootstrap's ``bootstrap_calibration`` (``"fixed"`` for the pre-issue-12 path).
    Pipeline only: ``python -c "from bench.s1_statistics import simulate_pipeline as s;
    print(s(10, seed=1))"``."""
    import tempfile

    from survey.questionnaire.model import load_default
    from survey.synthetic import generate_district

    q = load_default()
    any_false, over3, fdp, power, covered = [], [], [], [], []
    for r in range(reps):
        rng = np.random.default_rng([seed, r, 7])
        changed = rng.choice(83, n_changed, replace=False)
        shifts = {int(c): float(rng.choice([-1.0, 1.0]) * change_size) for c in changed}
        for true_changes in (None, shifts):
            d = generate_district(
                seed=seed * 10_000 + r,
                waves=("W1", "W2"),
                respondents_per_community=n_per,
                questionnaire=q,
                drift=0.0,
                true_changes=true_changes,
            )
            with tempfile.TemporaryDirectory() as folder, _calibration(calibration):
                cells, cover = _pipeline_report(d, folder, bootstrap)
            codes = [c.code for c in d.communities]
            truly = {codes[i] for i in (true_changes or {})}
            sig = [c for c in cells if c["significant"]]
            false = [c for c in sig if c["code"] not in truly]
            if true_changes is None:
                covered += cover
                any_false.append(bool(false))
                over3.append(len(false) > 3)
            else:
                fdp.append(len(false) / len(sig) if sig else 0.0)
                true_cells = [c for c in cells if c["code"] in truly]
                power.append(sum(c["significant"] for c in true_cells) / len(true_cells))
    return {
        "reps": reps,
        "null_any_false_label": float(np.mean(any_false)),
        "null_more_than_3": float(np.mean(over3)),
        "fdr": float(np.mean(fdp)),
        "power": float(np.mean(power)),
        "coverage_90": float(np.mean(covered)),
        "bootstrap": bootstrap,
        "bootstrap_calibration": calibration,
        "respondents_per_community": n_per,
    }


def run(runs: int) -> dict[str, Any]:
    start = time.perf_counter()
    means = simulate_means(reps=2000, seed=1)
    survey = simulate_survey(reps=100 * runs, seed=1)
    pipeline = simulate_pipeline(reps=5 * runs, seed=1)
    elapsed = time.perf_counter() - start
    return {
        "id": ID,
        "median_s": elapsed,
        "min_s": elapsed,
        "max_s": elapsed,
        "means_level": means,
        "survey_level": survey,
        "pipeline_level": pipeline,
        "note": (
            f"survey: null any-false {survey['null_any_false_label']:.3f}, FDR "
            f"{survey['fdr']:.3f}, cover direct/FH {survey['coverage_direct']:.3f}/"
            f"{survey['coverage_fh']:.3f}, RMSE direct/FH {survey['rmse_direct']:.2f}/"
            f"{survey['rmse_fh']:.2f}, rank sets {survey['rank_set_coverage']:.3f}; pipeline "
            f"(83×7 cells): null any-false {pipeline['null_any_false_label']:.3f}, >3 "
            f"{pipeline['null_more_than_3']:.3f}, FDR {pipeline['fdr']:.3f}, cover "
            f"{pipeline['coverage_90']:.3f}"
        ),
        "params": {
            "communities": 83,
            "streets": 11,
            "respondents_per_community": 40,
            "fdr": 0.10,
            "level": 0.90,
            "machine": machine(),
        },
    }


def simulate_calibration(
    waves: int = 12, *, seed: int = 10004, n_per: int = 40, bootstrap: int = 200
) -> dict[str, Any]:
    """Bootstrap SEs of the raked index against its Monte Carlo SD: ``waves`` independent
    samples (``drift=0``) of one generated district, quality-flagged rows dropped, scored by
    ``score_wave`` with the fixed-weight and the re-raked bootstrap (and unweighted, for the
    t-effect of small n). Returns RMS SE, RMS Monte Carlo SD and the SD of the z-scores
    (deviation from the community's mean over waves / SE). Run: ``python -c "from
    bench.s1_statistics import simulate_calibration as s; print(s())"`` (~1 min)."""
    from scoring.data import SurveyData
    from scoring.framework import Framework
    from scoring.pipeline import score_wave
    from scoring.weight_model import builtin_model
    from survey.questionnaire.model import load_default
    from survey.synthetic import generate_district

    q = load_default()
    d = generate_district(
        seed=seed,
        waves=tuple(f"W{i}" for i in range(waves)),
        respondents_per_community=n_per,
        questionnaire=q,
        drift=0.0,
    )
    fw = Framework.from_dict(q.framework_dict())
    model = builtin_model("equal")
    est: dict[str, list[np.ndarray]] = {"fixed": [], "reraked": [], "unweighted": []}
    ses: dict[str, list[np.ndarray]] = {k: [] for k in est}
    for w in d.waves:
        ok = w.quality_label == "ok"
        X = w.numeric[ok][:, [w.layout.column[c] for c in fw.item_codes]].astype(float)
        X[(X < 1) | (fw.points < X)] = np.nan
        g = w.community_index[ok]
        raked = SurveyData(
            X,
            fw.item_codes,
            g,
            tuple(d.community_codes),
            strata=w.strata[ok].astype(np.int64),
            margins=d.margins.astype(float),
            margin_shape=(5, 2),
        )
        plain = SurveyData(X, fw.item_codes, g, tuple(d.community_codes))
        kw: dict[str, Any] = {"bootstrap": bootstrap, "diagnostics": False, "fingerprint": False}
        for key, data, mode in (
            ("fixed", raked, "fixed"),
            ("reraked", raked, "auto"),
            ("unweighted", plain, "auto"),
        ):
            r = score_wave(data, fw, model, bootstrap_calibration=mode, **kw)
            est[key].append(r.index)
            ses[key].append(r.se)
    out: dict[str, Any] = {"waves": waves, "communities": len(d.communities), "B": bootstrap}
    for key in est:
        e, s = np.array(est[key]), np.array(ses[key])
        mc = e.std(axis=0, ddof=1)
        z = (e - e.mean(axis=0)) / s * np.sqrt(waves / (waves - 1))
        out[key] = {
            "rms_se": float(np.sqrt(np.nanmean(s**2))),
            "rms_mc_sd": float(np.sqrt(np.nanmean(mc**2))),
            "z_sd": float(np.nanstd(z)),
        }
    return out


def generator_null_check(districts: int = 6, *, n_per: int = 40) -> dict[str, float]:
    """Is ``drift=0`` a null? t-statistics of every community's unweighted mean of its
    unflagged respondents (mean of their answered index items, 0–100) against
    ``Truth.sample_index`` (what that mean estimates), over two waves of ``districts``
    generated districts: SD, excess kurtosis and tail shares (normal: 0.0099 beyond 2.58,
    0.00097 beyond 3.3). Run: ``python -c "from bench.s1_statistics import
    generator_null_check as g; print(g())"``."""
    from scipy import stats

    from survey.questionnaire.model import load_default
    from survey.synthetic import generate_district

    q = load_default()
    ts = []
    for seed in range(10_000, 10_000 + districts):
        d = generate_district(
            seed=seed,
            waves=("W1", "W2"),
            respondents_per_community=n_per,
            questionnaire=q,
            drift=0.0,
        )
        for wi, w in enumerate(d.waves):
            lay = w.layout
            X = w.numeric[:, [lay.column[c] for c in lay.main_codes]].astype(float)
            k = np.array([lay.likert_points[c] for c in lay.main_codes], dtype=float)
            X[(X < 1) | (k < X)] = np.nan
            per = np.nanmean(np.where(lay.reverse, k - X, X - 1) / (k - 1) * 100, axis=1)
            ok = w.quality_label == "ok"
            for c in range(len(d.communities)):
                x = per[(w.community_index == c) & ok]
                ts.append(
                    (x.mean() - d.truth.sample_index[wi, c]) / (x.std(ddof=1) / np.sqrt(x.size))
                )
    t = np.array(ts)
    return {
        "communities": float(t.size),
        "sd": float(t.std()),
        "excess_kurtosis": float(stats.kurtosis(t)),
        "beyond_2.58": float(np.mean(np.abs(t) > 2.58)),
        "beyond_3.3": float(np.mean(np.abs(t) > 3.3)),
    }
