import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import rankdata

from scoring.rank import Note, nan_quantiles, nan_std, publication, rank_min


@settings(max_examples=80, deadline=None)
@given(arrays(np.float64, (4, 12), elements=st.sampled_from([1.0, 2.0, 3.5, 70.0, np.nan])))
def test_rank_min_matches_scipy(values):
    expected = rankdata(-values, method="min", axis=1, nan_policy="omit")
    assert np.allclose(rank_min(values), expected, equal_nan=True)


def test_ties_share_the_smallest_rank():
    assert rank_min(np.array([90.0, 85.0, 90.0, 70.0])).tolist() == [1.0, 3.0, 1.0, 4.0]


def test_suppression_and_flags():
    index = np.array([80.0, 95.0, 85.0, np.nan, 60.0])
    n = np.array([150, 29, 99, 200, 30])
    p = publication(index, n, min_n=30, flag_n=100)
    assert p.suppressed.tolist() == [False, True, False, True, False]
    assert p.reason[1] is Note.INSUFFICIENT_SAMPLE and p.reason[3] is Note.NO_SCORE
    assert p.note == [None, None, Note.SMALL_SAMPLE, None, Note.SMALL_SAMPLE]
    # Ranks among the published communities only: the suppressed 95 does not take rank 1.
    assert np.isnan(p.rank[1]) and p.rank[0] == 2.0 and p.rank[4] == 3.0
    assert p.n_ranked == 3


def test_nan_quantiles_and_std_match_numpy():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(7, 300))
    a[rng.random(a.shape) < 0.1] = np.nan
    a[3] = np.nan
    q = nan_quantiles(a, [0.05, 0.5, 0.95], axis=-1)
    ok = np.arange(7) != 3
    assert np.allclose(q[:, ok], np.nanquantile(a[ok], [0.05, 0.5, 0.95], axis=-1))
    assert np.isnan(q[:, 3]).all()
    sd = nan_std(a)
    assert np.allclose(sd[ok], np.nanstd(a[ok], axis=-1, ddof=1)) and np.isnan(sd[3])
