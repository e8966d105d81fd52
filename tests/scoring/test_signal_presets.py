"""Issue 12, point 8: the entropy and CRITIC presets weigh between-community signal (net of
the sampling variance of the community means) or are refused; derived weights come from
respondents with community fixed effects."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.data import SurveyData
from scoring.errors import ScoringError, WeightModelError
from scoring.framework import Framework, default_framework_dict
from scoring.importance import driver_importance
from scoring.pipeline import score_wave
from scoring.weight_model import RespondentData, WeightModel, builtin_model
from scoring.weighting import (
    critic_signal_weights,
    critic_weights,
    entropy_signal_weights,
    entropy_weights,
)
from tests.support.scoring_synth import wave

FW = Framework.from_dict(default_framework_dict())
DIMS = FW.dimension_codes


def model(method: str) -> WeightModel:
    return WeightModel(name=method, dimension_weights={"method": method})


def _means() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = 70 + rng.normal(0, [1, 2, 3, 4, 5, 6], size=(8, 6))
    V = np.tile([0.5, 1.0, 20.0, 2.0, 1.0, 4.0], (8, 1))
    return X, V


@pytest.mark.parametrize(
    ("method", "signal", "plain"),
    [
        ("entropy", entropy_signal_weights, entropy_weights),
        ("critic", critic_signal_weights, critic_weights),
    ],
)
def test_presets_use_the_signal_versions(method, signal, plain) -> None:
    X, V = _means()
    w, info = model(method).resolve_dimension_weights(FW, X, variances=V)
    ref = signal(X, V)
    assert np.allclose(w, ref.weights, atol=1e-12)
    assert info["net_of_sampling_variance"] is True
    assert info["sampling_variance"]["D3"] == pytest.approx(20.0)
    for j, d in enumerate(DIMS):
        assert info["reliability"][d] == pytest.approx(ref.reliability[j])
        assert info["signal_variance"][d] == pytest.approx(max(X[:, j].var(ddof=1) - V[0, j], 0.0))
    # Without sampling variances the plain method runs, as before.
    w0, info0 = model(method).resolve_dimension_weights(FW, X)
    assert np.allclose(w0, plain(X)) and "reliability" not in info0


def test_worked_entropy_example() -> None:
    # docs/methods-weighting.md: columns (50, 60, 70), (60, 62, 64), (40, 50, 60) with SE²
    # 36, 9, 0: signal variances 64, 0, 100 → weights 0.3069, 0, 0.6931. Padded with three
    # noise-only columns (variance 1 < SE² 4), which get weight 0.
    X = np.array(
        [[50, 60, 40, 70, 71, 69], [60, 62, 50, 71, 70, 70], [70, 64, 60, 70, 70, 71]], float
    )
    V = np.tile([36.0, 9.0, 0.0, 4.0, 4.0, 4.0], (3, 1))
    w, info = model("entropy").resolve_dimension_weights(FW, X, variances=V)
    assert w.round(4).tolist() == [0.3069, 0.0, 0.6931, 0.0, 0.0, 0.0]
    assert info["reliability"]["D1"] == pytest.approx(0.64)


@pytest.mark.parametrize("method", ["entropy", "critic"])
def test_no_signal_is_refused_with_a_clear_message(method: str) -> None:
    X, _ = _means()
    V = np.full_like(X, 1000.0)  # sampling variance far above the spread of the means
    with pytest.raises(WeightModelError, match=f"{method} dimension weights refused.*noise"):
        model(method).resolve_dimension_weights(FW, X, variances=V)
    assert issubclass(WeightModelError, ScoringError)  # the API answers ScoringError with 422


def test_combined_objective_part_gets_the_variances() -> None:
    X, V = _means()
    m = WeightModel(
        name="c",
        dimension_weights={
            "method": "combined",
            "subjective": {"method": "equal"},
            "objective": {"method": "entropy"},
            "alpha": 0.5,
        },
    )
    w, info = m.resolve_dimension_weights(FW, X, variances=V)
    assert np.allclose(w, 0.5 / 6 + 0.5 * entropy_signal_weights(X, V).weights)
    assert info["objective"]["net_of_sampling_variance"] is True


@pytest.fixture(scope="module")
def small_wave():
    return wave(m=10, per=70, seed=8)


def test_pipeline_passes_the_linearised_variances(small_wave) -> None:
    fw, data, _ = small_wave
    eq = score_wave(
        data, fw, builtin_model("equal"), bootstrap=0, node_se="linearised", diagnostics=False
    )
    res = score_wave(data, fw, model("entropy"), bootstrap=0, diagnostics=False)
    info = res.weights_info
    eligible = eq.n >= 30
    # The equal model's linearised dimension SEs are the SEs of the equal-weight dimension
    # scores the preset sees: its sampling variance is their mean square.
    for j, d in enumerate(fw.dimension_codes):
        assert info["sampling_variance"][d] == pytest.approx(
            float(np.mean(eq.dim_se[eligible, j] ** 2)), rel=1e-9
        )
    ref = entropy_signal_weights(eq.dim_score[eligible], eq.dim_se[eligible] ** 2)
    assert np.allclose(res.dimension_weights, ref.weights, atol=1e-9)


def test_pipeline_refuses_when_communities_do_not_differ(small_wave) -> None:
    fw, data, _ = small_wave
    # Every community answers exactly as community 0: no between-community variance at all.
    rows = data.group_index == 0
    X = np.tile(data.X[rows], (5, 1))
    g = np.repeat(np.arange(5), rows.sum())
    same = SurveyData(X, data.codes, g, tuple(f"S{i}" for i in range(5)))
    with pytest.raises(WeightModelError, match="refused"):
        score_wave(same, fw, model("critic"), bootstrap=0, diagnostics=False)


def test_derived_weights_are_within_communities() -> None:
    # Between communities the outcome follows D1 (a community-level confounder), within
    # communities it follows D2 only: community fixed effects must give D2 the weight.
    rng = np.random.default_rng(5)
    m, per = 40, 50
    g = np.repeat(np.arange(m), per)
    c = rng.normal(0, 10, m)
    X = rng.normal(0, 5, (m * per, 6))
    X[:, 0] += c[g]
    y = 2 * c[g] + X[:, 1] + rng.normal(0, 3, m * per)
    w, info = model("derived").resolve_dimension_weights(FW, respondents=RespondentData(X, y, g))
    assert np.argmax(w) == 1 and w[1] > 0.9
    ref = driver_importance(X, y, g, B=0)
    assert np.allclose(w, ref.importance) and info["r2"] == pytest.approx(ref.r2)
    assert info["estimator"] == "within_relative_weights"
    assert info["n_communities"] == m


def test_pipeline_derived_uses_respondents(small_wave) -> None:
    fw, data, _ = small_wave
    res = score_wave(data, fw, model("derived"), bootstrap=0, diagnostics=False)
    info = res.weights_info
    assert info["estimator"] == "within_relative_weights"
    assert info["n_respondents"] > 10 * info["n_communities"]
    assert res.dimension_weights.sum() == pytest.approx(1.0)
