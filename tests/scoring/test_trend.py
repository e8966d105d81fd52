import numpy as np
import pytest
from scipy import stats
from scipy.stats import false_discovery_control

from scoring.errors import IncomparableWavesError, ScoringError
from scoring.pipeline import score_wave
from scoring.trend import benjamini_hochberg, change_labels, compare_waves, trend
from scoring.weight_model import WeightModel, builtin_model
from tests.support.scoring_synth import wave


def test_bh_matches_scipy():
    rng = np.random.default_rng(0)
    p = np.concatenate([rng.uniform(0, 0.01, 10), rng.uniform(0, 1, 90)])
    assert np.allclose(benjamini_hochberg(p), false_discovery_control(p, method="bh"))
    with_nan = p.copy()
    with_nan[[3, 50]] = np.nan
    ok = ~np.isnan(with_nan)
    q = benjamini_hochberg(with_nan)
    assert np.isnan(q[[3, 50]]).all()
    assert np.allclose(q[ok], false_discovery_control(with_nan[ok], method="bh"))


def test_labels_need_interval_and_threshold():
    delta = np.array([5.0, 2.0, -4.0, 5.0, np.nan, -3.0])
    lo = np.array([1.0, 0.5, -7.0, -1.0, np.nan, -5.0])
    hi = np.array([9.0, 3.5, -1.0, 11.0, np.nan, -1.0])
    assert change_labels(delta, lo, hi, 3.0) == [
        "显著提升",
        "基本持平",  # significant but below the practical threshold
        "显著下降",
        "基本持平",  # large but the interval contains 0
        None,
        "显著下降",  # |Δ| = threshold counts
    ]
    assert change_labels(delta[:1], lo[:1], hi[:1], 3.0, "en") == ["significant improvement"]


def _two_waves(model_b=None):
    fw, d1, _ = wave(m=8, per=120, seed=1)
    _, d2, _ = wave(m=8, per=120, seed=2)
    m = builtin_model("equal")
    r1 = score_wave(d1, fw, m, bootstrap=0, diagnostics=False)
    r2 = score_wave(d2, fw, model_b or m, bootstrap=0, diagnostics=False)
    return r1, r2


def test_compare_waves():
    r1, r2 = _two_waves()
    ch = compare_waves(r1, r2)
    assert ch.codes == r1.community_codes
    assert np.allclose(ch.delta, r2.index - r1.index)
    assert np.allclose(ch.se, np.hypot(r1.se, r2.se))
    z = 1.6448536269514722
    assert np.allclose(ch.ci_high - ch.delta, z * ch.se)

    # one BH family: every community × (overall + every dimension), as the pages label it
    # t p-values, Welch–Satterthwaite df from each community's n and the two SEs
    def t_p(delta, s1, s2):
        df = (s1**2 + s2**2) ** 2 / (s1**4 / (r1.n[:, None] - 1) + s2**4 / (r2.n[:, None] - 1))
        return 2 * stats.t.sf(np.abs(delta) / np.hypot(s1, s2), df)

    o_p = t_p((r2.index - r1.index)[:, None], r1.se[:, None], r2.se[:, None]).ravel()
    d_p = t_p(r2.dim_score - r1.dim_score, r1.dim_se, r2.dim_se)
    family = false_discovery_control(np.concatenate([o_p, d_p.ravel()]), method="bh")
    assert np.allclose(ch.q, family[: len(o_p)])
    assert np.allclose(ch.dimension_q, family[len(o_p) :].reshape(d_p.shape))
    expected = np.where((family[: len(ch.p)] <= 0.10) & (np.abs(ch.delta) >= 3.0), 1, 0)
    assert [c in ("up", "down") for c in ch.label_code] == expected.astype(bool).tolist()
    assert set(ch.label) <= {"显著提升", "基本持平", "显著下降"}
    # Different seeds draw different true values, so some communities really changed.
    assert ch.changed(fdr=0.05) and set(ch.changed()) <= set(ch.codes)
    assert ch.to_dict()["communities"][0]["code"] == ch.codes[0]


def test_incomparable_waves():
    other = WeightModel(name="other", version="2")
    r1, r2 = _two_waves(other)
    with pytest.raises(IncomparableWavesError, match="rescore"):
        compare_waves(r1, r2)
    assert compare_waves(r1, r2, rescored=True).rescored


def test_trend_over_three_waves():
    r1, r2 = _two_waves()
    out = trend([r1, r2, r1])
    assert out["index"].shape == (3, 8)
    assert np.allclose(out["changes"][1].delta, -out["changes"][0].delta)
    with pytest.raises(ScoringError):
        trend([r1])
