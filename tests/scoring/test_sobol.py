import numpy as np
import pytest

from scoring.sobol import saltelli_matrices, sobol_indices, weight_sensitivity


def test_ishigami_reference_values():
    def ishigami(X, a=7.0, b=0.1):
        return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])

    r = sobol_indices(ishigami, np.array([[-np.pi, np.pi]] * 3), 2**13, random_state=1)
    assert np.allclose(r.first[0], [0.3139, 0.4424, 0.0], atol=0.03)
    assert np.allclose(r.total[0], [0.5576, 0.4424, 0.2437], atol=0.03)


def test_additive_model_vector_output():
    def f(X):
        return np.column_stack([X[:, 0] + 2 * X[:, 1], 3 * X[:, 2]])

    r = sobol_indices(f, np.array([[0, 1]] * 3), 4096)
    assert np.allclose(r.first, [[0.2, 0.8, 0.0], [0.0, 0.0, 1.0]], atol=0.02)
    assert np.allclose(r.total, r.first, atol=0.02)


def test_weight_sensitivity_points_at_the_discriminating_dimension():
    # Community 0 is far above the mean on D1 and average elsewhere, so its index moves
    # only with D1's weight; community 1 is flat (index does not depend on weights at all).
    D = np.array([[95.0, 60.0, 60.0], [70.0, 70.0, 70.0], [50.0, 80.0, 55.0]])
    r = weight_sensitivity(D, np.full(3, 1 / 3), n=1024)
    assert r.first.shape == (3, 3)
    assert r.total[0, 0] > 0.5 and r.total[0, 0] > r.total[0, 1]
    assert r.variance[1] == pytest.approx(0.0, abs=1e-12)
    ranks = weight_sensitivity(D, np.full(3, 1 / 3), n=256, output="rank")
    assert ranks.first.shape == (3, 3)


def test_saltelli_bounds():
    A, B = saltelli_matrices(np.array([[0.1, 0.2], [1.0, 3.0]]), 100)
    assert A.shape == (100, 2) and (A[:, 0] >= 0.1).all() and (B[:, 1] <= 3.0).all()
