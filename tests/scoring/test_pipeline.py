import json

import numpy as np
import pytest

from scoring.errors import ScoringError
from scoring.pipeline import IndexScorer, score_wave
from scoring.quality import QualityFlags
from scoring.result import WaveResult
from scoring.weight_model import WeightModel, builtin_model
from tests.support.scoring_synth import wave

ROW_FIELDS = {
    "code",
    "n",
    "n_eff",
    "index",
    "se",
    "ci_low",
    "ci_high",
    "rank",
    "rank_low",
    "rank_high",
    "grade",
    "suppressed",
    "suppression_reason",
    "dimensions",
    "subdimensions",
    "items",
    "osi",
}


@pytest.fixture(scope="module")
def scored():
    sizes = np.array([150, 120, 25, 90, 200, 140])
    fw, data, truth = wave(m=6, per=sizes, seed=4, margins=True)
    data.priorities = np.random.default_rng(0).random((data.n, 18)) < 0.15
    res = score_wave(
        data,
        fw,
        builtin_model("expert-v0"),
        bootstrap=200,
        random_state=3,
        exclusion_policy="default",
    )
    return fw, data, truth, res


def test_rows_are_json_safe_and_complete(scored):
    _, _, _, res = scored
    d = res.to_dict()
    text = json.dumps(d, allow_nan=False, ensure_ascii=False)
    row = d["communities"][0]
    assert set(row) >= ROW_FIELDS
    assert set(row["dimensions"]["D1"]) == {"score", "se", "ci_low", "ci_high"}
    assert set(row["items"]["D1.1"]) == {"score", "n", "dk_rate", "pct_positive"}
    back = WaveResult.from_dict(json.loads(text))
    assert json.dumps(back.to_dict(), allow_nan=False, ensure_ascii=False) == text


def test_suppression_blanks_everything_but_n(scored):
    _, _, _, res = scored
    row = res.to_dict()["communities"][2]
    assert row["suppressed"] and row["suppression_reason"] == "insufficient_sample"
    assert row["n"] < 30 and row["index"] is None and row["rank"] is None
    assert row["ci_low"] is None and row["osi"] is None and row["grade"] is None
    assert all(v["score"] is None for v in row["dimensions"].values())
    assert all(v["score"] is None for v in row["items"].values())
    assert row["priorities"] is None
    assert sorted(r for r in res.rank.tolist() if r == r) == [1, 2, 3, 4, 5]
    flagged = res.to_dict()["communities"][3]
    assert flagged["note"] == "small_sample" and flagged["index"] is not None


def test_scores_intervals_and_provenance(scored):
    fw, data, _, res = scored
    ok = ~res.suppressed
    assert ((res.index[ok] >= 0) & (res.index[ok] <= 100)).all()
    assert (res.ci_low[ok] < res.index[ok]).all() and (res.index[ok] < res.ci_high[ok]).all()
    assert (res.rank_low[ok] <= res.rank[ok]).all() and (res.rank[ok] <= res.rank_high[ok]).all()
    assert np.allclose(res.dimension_weights.round(3), [0.130, 0.206, 0.206, 0.130, 0.164, 0.164])
    assert res.effective_item_weights.sum() == pytest.approx(1.0)
    # The index is the effective-weight average of the item means when nothing is missing.
    full = ~np.isnan(res.item_score).any(axis=1) & ok
    assert np.allclose(res.item_score[full] @ res.effective_item_weights, res.index[full])
    p = res.provenance
    assert p["model_key"] == "expert-v0@0" and p["preset"] == "ptm"
    assert p["data_sha256"] == data.fingerprint() and len(p["data_sha256"]) == 64
    assert p["random_state"] == 3 and p["bootstrap"] == 200 and p["se_method"] == "bootstrap"
    assert p["exclusions"]["counts"]["kept"] == p["n_scored"] <= p["n_input"]
    assert p["survey_weights"]["method"] == "raking"
    assert res.reliability is not None
    assert set(res.reliability) == {*fw.dimension_codes, "_rows_used"}
    assert res.priorities is not None and set(res.priorities["importance"]) == set(
        fw.subdimension_codes
    )
    assert res.grade[0] in {"优", "良", "中", "差"}


def test_same_seed_same_result_row_order_irrelevant(scored):
    fw, data, _, res = scored
    again = score_wave(
        data,
        fw,
        builtin_model("expert-v0"),
        bootstrap=200,
        random_state=3,
        exclusion_policy="default",
    )
    assert np.array_equal(again.ci_low, res.ci_low, equal_nan=True)
    perm = np.random.default_rng(0).permutation(data.n)
    shuffled = data.subset(np.ones(data.n, bool))
    for name in ("X", "group_index", "strata", "durations", "priorities"):
        setattr(shuffled, name, getattr(data, name)[perm])
    res2 = score_wave(
        shuffled,
        fw,
        builtin_model("expert-v0"),
        bootstrap=0,
        exclusion_policy="default",
        diagnostics=False,
    )
    assert np.allclose(res2.index, res.index, equal_nan=True)
    assert np.array_equal(res2.rank, res.rank, equal_nan=True)


def test_linearised_se_close_to_bootstrap():
    fw, data, _ = wave(m=5, per=300, seed=8)
    a = score_wave(data, fw, builtin_model("equal"), bootstrap=0, diagnostics=False)
    b = score_wave(data, fw, builtin_model("equal"), bootstrap=400, diagnostics=False)
    assert a.provenance["se_method"] == "linearised"
    assert np.allclose(a.se, b.se, rtol=0.25)
    assert np.allclose(a.osi_se, b.osi_se, rtol=0.25)
    assert np.isnan(a.rank_low).all()
    none = score_wave(
        data, fw, builtin_model("equal"), bootstrap=0, node_se="none", diagnostics=False
    )
    assert np.isnan(none.se).all() and np.allclose(none.index, a.index)
    with pytest.raises(ScoringError):
        score_wave(data, fw, builtin_model("equal"), bootstrap=0, node_se="magic")


def test_data_driven_weights_are_resolved_and_stored():
    fw, data, _ = wave(m=10, per=60, seed=9)
    model = WeightModel(name="ent", dimension_weights={"method": "entropy"})
    res = score_wave(data, fw, model, bootstrap=0, diagnostics=False)
    assert res.weights_info["method"] == "entropy" and res.weights_info["n_communities"] == 10
    frozen = model.freeze(res.dimension_weights, fw)
    res2 = score_wave(data, fw, frozen, bootstrap=0, diagnostics=False)
    assert np.allclose(res2.index, res.index)


def test_presets_and_exclusion_with_given_flags():
    fw, data, _ = wave(m=4, per=50, seed=10)
    flags = QualityFlags(speeder=np.arange(data.n) % 10 == 0)
    res = score_wave(
        data,
        fw,
        WeightModel(name="t2b", preset="top2box"),
        bootstrap=0,
        exclusion_policy={"exclude": ["speeder"]},
        quality_flags=flags,
        diagnostics=False,
    )
    assert res.provenance["exclusions"]["counts"]["excluded"] == 20
    assert res.n.sum() == data.n - 20
    # top2box item scores are the % positive.
    assert np.allclose(res.item_score, res.item_pct_positive, equal_nan=True)


def test_estimator_and_frames():
    fw, data, _ = wave(m=4, per=40, seed=11)
    est = IndexScorer(fw, builtin_model("equal"), bootstrap=0)
    assert est.get_params()["bootstrap"] == 0 and not hasattr(est, "result_")
    assert est.fit(data) is est
    assert est.scores_.shape == (4,) and np.allclose(est.dimension_weights_, 1 / 6)
    frames = est.result_.to_frames()
    assert len(frames["communities"]) == 4 and len(frames["items"]) == 4 * 36
    assert set(frames["dimensions"]["dimension"]) == set(fw.dimension_codes)


def test_missing_item_column_is_named():
    fw, data, _ = wave(m=2, per=40, seed=12, outcomes=False)
    broken = data.subset(np.ones(data.n, bool))
    broken.codes = tuple("X9.9" if c == "D3.4" else c for c in data.codes)
    with pytest.raises(ScoringError, match=r"D3\.4"):
        score_wave(broken, fw, builtin_model("equal"), bootstrap=0)
    res = score_wave(data, fw, builtin_model("equal"), bootstrap=0, diagnostics=False)
    assert np.isnan(res.osi).all()  # no outcome columns: no OSI, the index still works


def test_diagnostics_subsample_large_waves():
    from scoring.diagnostics import wave_diagnostics

    fw, data, _ = wave(m=4, per=100, seed=13)
    res = score_wave(data, fw, builtin_model("equal"), bootstrap=0, diagnostics=False)
    S = data.columns(fw.item_codes)  # raw answers work as scores for the shape checks
    rel, district, rows = wave_diagnostics(
        data,
        fw,
        (S - 1) * 25,
        None,
        np.ones(data.n),
        res.sub_score,
        None,  # type: ignore[arg-type]
        None,
        res.suppressed,
        max_rows=150,
    )
    assert rel["_rows_used"] == 150 and district is None and rows is None


def test_bad_answer_is_named_even_with_lazy_rescaling():
    fw, data, _ = wave(m=2, per=40, seed=14)
    bad = data.subset(np.ones(data.n, bool))
    bad.X = data.X.copy()
    bad.X[45, data.codes.index("D5.2")] = 9.0  # an unconverted don't-know code
    with pytest.raises(ScoringError, match=r"'D5\.2'.*outside 1\.\.5"):
        score_wave(bad, fw, builtin_model("equal"), bootstrap=0)
