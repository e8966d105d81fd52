import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from scoring import change as change_mod
from scoring.change import ChangeLabel, Reason, change_report
from scoring.errors import ScoringError


def bh_step_up(p: list[float], alpha: float) -> list[bool]:
    """Textbook BH (1995): reject H_(1..k*) with k* = max{k : p_(k) ≤ k α / m}."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    k_star = 0
    for k, i in enumerate(order, start=1):
        if p[i] <= k * alpha / m:
            k_star = k
    rejected = [False] * m
    for i in order[:k_star]:
        rejected[i] = True
    return rejected


def test_worked_example_by_hand():
    # z = 3, −2, 1, 0.5 on four tested cells; two untested cells
    delta = np.array([[3.0, -4.0, 1.0], [0.5, 2.0, 7.0]])
    se = np.array([[1.0, 2.0, 1.0], [1.0, np.nan, 0.0]])
    r = change_report(delta, se)
    p = [math.erfc(z / math.sqrt(2)) for z in (3.0, 2.0, 1.0, 0.5)]
    np.testing.assert_allclose(r.p[0], p[:3])
    np.testing.assert_allclose(r.p[1, 0], p[3])
    # p = 0.0027, 0.0455, 0.3173, 0.6171 with m = 4: q = 0.0108, 0.0910, 0.4231, 0.6171
    np.testing.assert_allclose(
        [r.q[0, 0], r.q[0, 1], r.q[0, 2], r.q[1, 0]],
        [p[0] * 4, p[1] * 2, p[2] * 4 / 3, p[3]],
    )
    assert r.label.tolist() == [["up", "down", "flat"], ["flat", "undetermined", "undetermined"]]
    assert r.reason[1].tolist() == ["", "missing_se", "nonpositive_se"]
    assert r.n_tested == 4
    assert np.isnan(r.q[1, 1]) and np.isnan(r.p[1, 2])
    # at q ≤ 0.05 the z = −2 cell (q = 0.091) is no longer labelled
    assert change_report(delta, se, fdr=0.05).label[0, 1] == "flat"


def test_joint_family_is_the_whole_report_not_each_node():
    # the same cell is significant alone but not among many nulls
    alone = change_report([2.5], [1.0])
    assert alone.label[0] == "up"
    crowd = change_report([2.5, *[0.0] * 19], [1.0] * 20)
    assert crowd.label[0] == "flat" and crowd.n_tested == 20


def test_flags_and_reason_priority():
    delta = np.array([[5.0, 5.0], [5.0, np.nan]])
    se = np.array([[1.0, np.nan], [1.0, 1.0]])
    r = change_report(
        delta,
        se,
        small_sample=np.array([[False], [True]]),  # one flag per community
        not_comparable=np.array([[False, True]]),  # one flag per node
    )
    assert r.reason.tolist() == [["", "not_comparable"], ["small_sample", "not_comparable"]]
    assert r.label.tolist() == [["up", "undetermined"], ["undetermined", "undetermined"]]
    everything = change_report(delta, se, not_comparable=True)
    assert (everything.label == ChangeLabel.UNDETERMINED).all() and everything.n_tested == 0
    assert Reason.MISSING_SE.value == "missing_se"


def test_min_change_and_errors():
    r = change_report([2.0, 10.0], [0.1, 0.1], min_change=3.0)
    assert r.label.tolist() == ["flat", "up"]
    with pytest.raises(ScoringError, match="shape"):
        change_report([1.0, 2.0], [1.0])
    with pytest.raises(ScoringError, match="fdr"):
        change_report([1.0], [1.0], fdr=0.0)
    with pytest.raises(ScoringError, match="broadcast"):
        change_report([[1.0, 2.0]], [[1.0, 1.0]], small_sample=[True, False, True])


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 30), elements=st.floats(-10, 10)),
    arrays(np.float64, 30, elements=st.one_of(st.floats(0.05, 5), st.just(np.nan))),
    st.sampled_from([0.05, 0.1, 0.2]),
)
def test_matches_textbook_bh_and_never_labels_missing_se(delta, se_pool, alpha):
    se = se_pool[: delta.size]
    r = change_report(delta, se, fdr=alpha)
    ok = np.isfinite(se)
    assert (r.label[~ok] == "undetermined").all()
    assert (r.reason[~ok] == "missing_se").all()
    p = [math.erfc(abs(d / s) / math.sqrt(2)) for d, s in zip(delta[ok], se[ok], strict=True)]
    expected = bh_step_up(p, alpha) if p else []
    got = r.significant[ok].tolist()
    assert got == expected
    assert (r.label[r.significant] == np.where(delta[r.significant] > 0, "up", "down")).all()


def test_doctests():
    assert doctest.testmod(change_mod).failed == 0


def test_t_p_values_with_welch_df() -> None:
    """With df, p = 2·t_df.sf(|z|) (worked example: z = 3, df = 80); infinite df = normal."""
    r = change_mod.change_report([[3.0, 3.0]], [[1.0, 1.0]], df=[[80.0, np.inf]])
    assert r.p[0, 0] == pytest.approx(2 * stats.t.sf(3.0, 80))
    assert r.p[0, 0] == pytest.approx(0.0036, abs=5e-5)
    assert r.p[0, 1] == pytest.approx(2 * stats.norm.sf(3.0))
    # Welch–Satterthwaite: equal SEs and sizes give n1 + n2 − 2; a tiny side dominates
    assert change_mod.welch_df(1.0, 41, 1.0, 41) == pytest.approx(80.0)
    assert change_mod.welch_df(2.0, 11, 0.01, 500) == pytest.approx(10.0, rel=1e-4)
    assert np.isnan(change_mod.welch_df(1.0, 1, 1.0, 40))


@settings(max_examples=80, deadline=None)
@given(z=st.floats(0.0, 8.0), df=st.floats(2.0, 1e4))
def test_t_p_values_are_never_smaller_than_normal(z: float, df: float) -> None:
    r = change_mod.change_report([z], [1.0], df=[df])
    assert r.p[0] >= 2 * stats.norm.sf(z) - 1e-15
