import doctest

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from scoring import icc as icc_mod
from scoring.errors import ScoringError
from scoring.icc import icc_by_dimension, icc_oneway


def test_worked_example_by_hand():
    # groups (1,2,3), (4,5), (6,7): MSB = 25/2 = 12.5, MSW = 3/4, n0 = (7 − 17/7)/2 = 16/7
    r = icc_oneway([1, 2, 3, 4, 5, 6, 7], [0, 0, 0, 1, 1, 2, 2])
    assert (r.msb, r.msw) == pytest.approx((12.5, 0.75))
    assert r.n0 == pytest.approx(16 / 7)
    assert r.icc1 == pytest.approx(11.75 / (12.5 + (16 / 7 - 1) * 0.75))
    assert r.icc2 == pytest.approx(11.75 / 12.5)
    tau2 = 11.75 / (16 / 7)
    np.testing.assert_allclose(
        r.lambda_c, [3 * tau2 / (3 * tau2 + 0.75)] + [2 * tau2 / (2 * tau2 + 0.75)] * 2
    )


def test_against_pingouin_balanced():
    rng = np.random.default_rng(0)
    k, n = 12, 8
    g = np.repeat(np.arange(k), n)
    y = rng.normal(0, 1, k)[g] + rng.normal(0, 1.5, k * n)
    df = pd.DataFrame({"targets": g, "raters": np.tile(np.arange(n), k), "y": y})
    ref = pg.intraclass_corr(df, targets="targets", raters="raters", ratings="y").set_index("Type")
    r = icc_oneway(y, g)
    assert r.icc1 == pytest.approx(ref.loc["ICC(1,1)", "ICC"])
    assert r.icc2 == pytest.approx(ref.loc["ICC(1,k)", "ICC"])
    assert r.n0 == pytest.approx(n)


def test_unbalanced_nan_and_dimensions():
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(20), rng.integers(5, 40, 20))
    Y = rng.normal(0, 1, (20, 2))[g] * [2.0, 0.1] + rng.normal(0, 1, (g.size, 2))
    Y[rng.random(Y.shape) < 0.1] = np.nan
    a, b = icc_by_dimension(Y, g)
    assert a.icc1 > 0.5 > b.icc1 and a.icc2 > b.icc2
    assert a.n < g.size
    with pytest.raises(ScoringError):
        icc_oneway([1.0, 1.0], [0, 1])


def test_doctests():
    assert doctest.testmod(icc_mod).failed == 0


def test_score_wave_reports_icc_per_dimension() -> None:
    """The wave's reliability report carries ICC(1) and ICC(2) of respondents' dimension
    scores by community, equal to a one-way ANOVA written out here (equal group sizes)."""
    from scoring.pipeline import score_wave
    from scoring.weight_model import builtin_model
    from tests.support.scoring_synth import wave

    fw, data, _ = wave(m=8, per=50, seed=5, missing=0.0)
    res = score_wave(data, fw, builtin_model("equal"), bootstrap=0, diagnostics=True)
    assert res.reliability is not None
    X = data.columns(fw.item_codes)
    k = fw.points.astype(float)
    S = np.where(fw.reverse, k - X, X - 1) / (k - 1) * 100  # ptm, reverse items flipped
    for j, d in enumerate(fw.dimension_codes):
        y = S[:, fw.dim_of_item == j].mean(axis=1)
        groups = [y[data.group_index == c] for c in range(8)]
        grand = y.mean()
        msb = 50 * sum((g.mean() - grand) ** 2 for g in groups) / 7
        msw = sum(((g - g.mean()) ** 2).sum() for g in groups) / (400 - 8)
        block = res.reliability[d]
        assert block["icc1"] == pytest.approx((msb - msw) / (msb + 49 * msw), abs=1e-9)
        assert block["icc2"] == pytest.approx((msb - msw) / msb, abs=1e-9)
