import numpy as np
import pytest

from scoring.aggregate import aggregate_tree, equal_spec, item_stats
from scoring.bootstrap import bootstrap, poisson_weights
from scoring.framework import Framework, default_framework_dict
from scoring.rank import rank_min
from scoring.rescale import overall_satisfaction_index

FW = Framework.from_dict(default_framework_dict())


def _scores(sizes, seed=0, shift=None):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(len(sizes)), sizes)
    base = 2.0 + (shift[g][:, None] if shift is not None else 0.0)
    S = np.clip(np.round(base + rng.normal(0, 1.1, (g.size, 36))), 0, 4) * 25.0
    S[rng.random(S.shape) < 0.05] = np.nan
    return S, g


def test_multipliers_have_poisson_moments():
    r = poisson_weights(np.random.default_rng(1), (400_000,))
    assert r.dtype == np.float32
    assert r.mean() == pytest.approx(1.0, abs=0.01)
    assert r.var() == pytest.approx(1.0, abs=0.01)
    share = np.bincount(r.astype(int)) / r.size
    assert np.allclose(share[:4], [0.3679, 0.3679, 0.1839, 0.0613], atol=0.01)


def test_same_draws_as_a_naive_replicate_loop():
    sizes = [7, 12, 9, 15]  # unequal: exercises the padded layout
    S, g = _scores(sizes, seed=2)
    rng = np.random.default_rng(3)
    w = rng.uniform(0.5, 2, g.size)
    Q = rng.integers(0, 11, size=(g.size, 3)) * 10.0
    B = 40
    R = rng.poisson(1.0, size=(g.size, B)).astype(np.float32)
    spec = equal_spec(FW)
    fast = bootstrap(S, w, g, 4, FW, spec, outcomes=Q, B=B, replicate_weights=R, max_elems=64)
    index = np.empty((4, B))
    dims = np.empty((4, 6, B))
    osi = np.empty((4, B))
    for b in range(B):  # the reference: score each replicate separately
        st = item_stats(S, w * R[:, b], g, 4)
        tree = aggregate_tree(st.mean, FW, spec)
        index[:, b], dims[:, :, b] = tree.overall, tree.dim
        osi[:, b] = overall_satisfaction_index(item_stats(Q, w * R[:, b], g, 4).mean)
    assert np.allclose(fast.index_reps, index, atol=1e-3)
    assert np.allclose(fast.index_se, index.std(axis=1, ddof=1), atol=1e-3)
    lo, hi = np.quantile(index, [0.05, 0.95], axis=1)
    assert np.allclose(fast.index_ci, [lo, hi], atol=1e-3)
    assert np.allclose(fast.dim_se, dims.std(axis=2, ddof=1), atol=1e-3)
    assert np.allclose(fast.osi_se, osi.std(axis=1, ddof=1), atol=1e-3)
    ranks = rank_min(index.T)
    assert np.allclose(fast.rank_low, np.floor(np.quantile(ranks, 0.05, axis=0)))
    assert np.allclose(fast.rank_high, np.ceil(np.quantile(ranks, 0.95, axis=0)))


def test_reproducible_and_seed_sensitive():
    S, g = _scores([30, 40, 35])
    spec = equal_spec(FW)
    a = bootstrap(S, np.ones(g.size), g, 3, FW, spec, B=100, random_state=7)
    b = bootstrap(S, np.ones(g.size), g, 3, FW, spec, B=100, random_state=7)
    c = bootstrap(S, np.ones(g.size), g, 3, FW, spec, B=100, random_state=8)
    assert np.array_equal(a.index_reps, b.index_reps)
    assert not np.array_equal(a.index_reps, c.index_reps)
    # Chunking replicates must not change what is estimated (only which draws are used).
    d = bootstrap(S, np.ones(g.size), g, 3, FW, spec, B=100, random_state=7, max_elems=500)
    assert np.allclose(d.index_se, a.index_se, rtol=0.35)


def test_interval_coverage_on_simulated_truth():
    # 200 communities drawn from populations with known index; 90% percentile intervals
    # should cover the truth about 90% of the time.
    m, per = 200, 80
    rng = np.random.default_rng(11)
    shift = rng.normal(0, 0.5, m)
    # Population truth by simulation with a large sample from the same model.
    big, gb = _scores(np.full(m, 2000), seed=99, shift=shift)
    truth = aggregate_tree(
        item_stats(big, np.ones(gb.size), gb, m).mean, FW, equal_spec(FW)
    ).overall
    S, g = _scores(np.full(m, per), seed=12, shift=shift)
    res = bootstrap(S, np.ones(g.size), g, m, FW, equal_spec(FW), B=300, random_state=0)
    covered = (res.index_ci[0] <= truth) & (truth <= res.index_ci[1])
    assert covered.mean() >= 0.85
    assert covered.mean() <= 0.97
    # Rank intervals contain the rank of the point estimate for nearly every community.
    est = aggregate_tree(item_stats(S, np.ones(g.size), g, m).mean, FW, equal_spec(FW)).overall
    r = rank_min(est)
    assert ((res.rank_low <= r) & (r <= res.rank_high)).mean() >= 0.9


def test_rank_mask_excludes_communities_from_ranks():
    S, g = _scores([40, 40, 40], shift=np.array([0.0, 1.0, 0.5]))
    res = bootstrap(
        S, np.ones(g.size), g, 3, FW, equal_spec(FW), B=50, rank_mask=np.array([True, False, True])
    )
    assert np.isnan(res.rank_low[1]) and res.rank_high[0] <= 2 and res.rank_high[2] <= 2


@pytest.mark.parametrize("max_elems", [64, 300, 2**23])
def test_progress_counts_replicates_up_to_b_and_changes_nothing(max_elems):
    sizes = [7, 12, 9, 15, 0, 4]  # an empty community: no rows, no report of its own
    S, g = _scores(sizes, seed=5)
    w = np.ones(g.size)
    spec = equal_spec(FW)
    B = 50
    calls = []
    told = bootstrap(
        S, w, g, 6, FW, spec, B=B, max_elems=max_elems, progress=lambda d, t: calls.append((d, t))
    )
    quiet = bootstrap(S, w, g, 6, FW, spec, B=B, max_elems=max_elems)
    assert np.array_equal(told.index_reps, quiet.index_reps, equal_nan=True)
    done = [d for d, _ in calls]
    assert all(t == B for _, t in calls)
    assert done == sorted(done) and done[-1] == B and done[0] > 0
    # one report per (chunk of replicates, block of communities), plus the final one
    counts = np.bincount(g, minlength=6)
    bc = int(min(B, max(1, max_elems // counts.max())))
    chunks = -(-B // bc)
    assert len(calls) > chunks if max_elems < 2**23 else len(calls) >= 2
