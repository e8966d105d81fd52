import numpy as np
import pytest

from scoring.errors import ScoringError
from scoring.montecarlo import (
    composite,
    monte_carlo_ranks,
    variant_dimension_scores,
    weight_draws,
)
from scoring.rank import rank_min
from scoring.weight_model import builtin_model
from tests.support.scoring_synth import wave


def test_weight_draws():
    base = np.array([0.5, 0.3, 0.2])
    for method in ("dirichlet", "uniform"):
        W = weight_draws(base, 20_000, method=method, random_state=1)
        assert np.allclose(W.sum(axis=1), 1.0) and (W > 0).all()
        assert np.allclose(W.mean(axis=0), base, atol=0.01)
    U = weight_draws(base, 5000, method="uniform", spread=0.25)
    ratio = U / base  # within a draw, weights move by at most ±25% relative to each other
    assert (ratio.max(axis=1) / ratio.min(axis=1)).max() <= 1.25 / 0.75 + 1e-9
    assert (ratio.max(axis=1) / ratio.min(axis=1)).max() > 1.5
    with pytest.raises(ScoringError):
        weight_draws(base, 3, method="beta")


def test_composite_renormalises_and_geometric():
    D = np.array([[80.0, np.nan, 60.0], [50.0, 50.0, 50.0]])
    W = np.array([[0.5, 0.25, 0.25]])
    out = composite(D, W)
    assert out[0, 0] == pytest.approx((0.5 * 80 + 0.25 * 60) / 0.75)
    assert out[0, 1] == pytest.approx(50.0)
    assert np.isnan(composite(D, W, min_coverage=0.8)[0, 0])
    g = composite(np.array([[40.0, 90.0]]), np.array([[0.5, 0.5]]), geometric=True)
    assert g[0, 0] == pytest.approx(60.0)


def test_histogram_quantiles_match_a_naive_loop_over_the_same_draws():
    rng = np.random.default_rng(0)
    V = rng.uniform(50, 90, size=(2, 15, 4))
    base = np.array([0.4, 0.3, 0.2, 0.1])
    res = monte_carlo_ranks(
        V, base, n_draws=600, geometric=(False, True), random_state=5, chunk=128
    )
    # Replay the generator exactly as the function consumes it, one draw at a time.
    gen = np.random.default_rng(5)
    ranks = []
    for start in range(0, 600, 128):
        size = min(128, 600 - start)
        W = weight_draws(base, size, random_state=gen)
        variant = gen.integers(0, 2, size=size)
        for k in range(size):
            idx = composite(V[variant[k]], W[k : k + 1], geometric=bool(variant[k]))[0]
            ranks.append(rank_min(idx))
    ranks = np.array(ranks)
    q = lambda p: np.quantile(ranks, p, axis=0, method="inverted_cdf")  # noqa: E731
    assert np.array_equal(res.median_rank, q(0.5))
    assert np.array_equal(res.rank_low, q(0.05))
    assert np.array_equal(res.rank_high, q(0.95))
    assert res.variant_draws.sum() == 600 and res.rank_counts.sum() == 600 * 15


def test_rank_mask_and_clear_winner():
    D = np.array([[99.0] * 3, [50.0] * 3, [60.0] * 3])
    res = monte_carlo_ranks(D, np.full(3, 1 / 3), n_draws=200, rank_mask=np.array([1, 0, 1], bool))
    assert res.median_rank[0] == 1 and res.rank_high[0] == 1 and np.isnan(res.median_rank[1])


def test_variants_from_data():
    fw, data, _ = wave(m=6, per=40, seed=3)
    scores, labels = variant_dimension_scores(data, fw, builtin_model("equal"))
    assert scores.shape == (6, 6, 6) and len(labels) == 6
    assert labels[0] == {"preset": "ptm", "aggregation": "arithmetic"}
    # Geometric ≤ arithmetic within a preset; presets change levels.
    assert (scores[1] <= scores[0] + 1e-9).all()
    assert not np.allclose(scores[0], scores[2])


def test_ties_and_missing_in_the_histogram_path():
    rng = np.random.default_rng(4)
    D = rng.uniform(40, 90, size=(9, 3))
    D[4] = D[1]  # identical communities tie in every draw
    D[7] = np.nan  # unrankable
    res = monte_carlo_ranks(D, np.full(3, 1 / 3), n_draws=300, random_state=2, chunk=64)
    gen = np.random.default_rng(2)
    ranks = []
    for start in range(0, 300, 64):
        W = weight_draws(np.full(3, 1 / 3), min(64, 300 - start), random_state=gen)
        ranks.extend(rank_min(composite(D, W)))
    ranks = np.array(ranks)
    ok = ~np.isnan(D[:, 0])
    expected = np.quantile(ranks[:, ok], 0.5, axis=0, method="inverted_cdf")
    assert np.array_equal(res.median_rank[ok], expected)
    assert res.median_rank[1] == res.median_rank[4] and np.isnan(res.median_rank[7])
    assert np.array_equal(res.rank_counts[1], res.rank_counts[4])
