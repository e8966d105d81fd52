"""Entropy and CRITIC weights on between-community signal (net of sampling variance)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.errors import ScoringError
from scoring.weighting import (
    critic_signal_weights,
    critic_weights,
    entropy_signal_weights,
    entropy_weights,
)


def test_entropy_worked_example_by_hand():
    # column A: s² = 100, SE² = 36 → signal 64, λ = 0.64, shrunk to (52, 60, 68)
    # column B: s² = 4, SE² = 9 → no signal, weight 0; column C: no sampling noise
    X = [[50, 60, 40], [60, 62, 50], [70, 64, 60]]
    V = [[36, 9, 0], [36, 9, 0], [36, 9, 0]]
    r = entropy_signal_weights(X, V)
    np.testing.assert_allclose(r.observed_var, [100, 4, 100])
    np.testing.assert_allclose(r.signal_var, [64, 0, 100])
    np.testing.assert_allclose(r.reliability, [0.64, 0, 1])

    def d(col: list[float]) -> float:
        tot = sum(col)
        return 1 + sum(x / tot * math.log(x / tot) for x in col) / math.log(len(col))

    dA, dC = d([52, 60, 68]), d([40, 50, 60])
    np.testing.assert_allclose(r.weights, [dA / (dA + dC), 0.0, dC / (dA + dC)])
    # ≈ CV² shares: CV²_A = 64/60², CV²_C = 100/50²
    cv = np.array([64 / 3600, 100 / 2500])
    np.testing.assert_allclose(r.weights[[0, 2]], cv / cv.sum(), atol=0.002)


def test_zero_sampling_variance_reproduces_the_existing_functions():
    rng = np.random.default_rng(0)
    X = rng.uniform(40, 95, (12, 5))
    zero = np.zeros_like(X)
    np.testing.assert_allclose(entropy_signal_weights(X, zero).weights, entropy_weights(X))
    np.testing.assert_allclose(critic_signal_weights(X, zero).weights, critic_weights(X))
    dirs = [1, -1, 1, 1, -1]
    np.testing.assert_allclose(
        critic_signal_weights(X, zero, directions=dirs).weights, critic_weights(X, directions=dirs)
    )


def critic_loop(X: np.ndarray, V: np.ndarray) -> np.ndarray:
    """CRITIC on signal written out with loops (benefit columns)."""
    n = X.shape[1]
    obs = [float(np.var(X[:, j], ddof=1)) for j in range(n)]
    sig = [max(obs[j] - float(V[:, j].mean()), 0.0) for j in range(n)]
    C = []
    for j in range(n):
        if sig[j] == 0:
            C.append(0.0)
            continue
        rng = X[:, j].max() - X[:, j].min()
        sd = math.sqrt(obs[j]) / rng * math.sqrt(sig[j] / obs[j])
        conflict = 0.0
        for k in range(n):
            if sig[k] == 0:
                continue
            cov = float(np.cov(X[:, j], X[:, k])[0, 1])
            rho = max(-1.0, min(1.0, cov / math.sqrt(sig[j] * sig[k]))) if k != j else 1.0
            conflict += 1 - rho
        C.append(sd * conflict)
    return np.array(C) / sum(C)


def test_critic_signal_against_a_loop():
    rng = np.random.default_rng(1)
    true = rng.normal(70, 4, (30, 1)) + rng.normal(0, 3, (30, 4))
    V = rng.uniform(1, 6, (30, 4))
    X = true + rng.normal(0, np.sqrt(V))
    V[:, 3] = 1e3  # column 3: only noise
    r = critic_signal_weights(X, V)
    assert r.weights[3] == 0.0
    np.testing.assert_allclose(r.weights, critic_loop(X, V))


def test_refuses_when_no_signal_remains():
    X = [[70.0, 60.0], [71.0, 61.0], [69.0, 59.5]]
    V = [[4.0, 4.0]] * 3
    with pytest.raises(ScoringError, match="no between-community signal remains"):
        entropy_signal_weights(X, V)
    with pytest.raises(ScoringError, match="no between-community signal remains"):
        critic_signal_weights(X, V)
    with pytest.raises(ScoringError, match="shape"):
        entropy_signal_weights(X, [[1.0]])
    with pytest.raises(ScoringError, match=">= 0"):
        entropy_signal_weights(X, [[-1.0, 0.0]] * 3)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_entropy_signal_is_about_cv_squared_shares(seed):
    rng = np.random.default_rng(seed)
    mu = rng.uniform(55, 85, 4)
    X = mu + rng.normal(0, 1, (40, 4)) * rng.uniform(1, 4, 4)
    V = np.full_like(X, 0.5)
    r = entropy_signal_weights(X, V)
    cv2 = r.signal_var / X.mean(axis=0) ** 2
    np.testing.assert_allclose(r.weights, cv2 / cv2.sum(), atol=0.01)
