"""The estimators follow scikit-learn's contract: parameters untouched in ``__init__``,
``get_params``/``set_params``/``clone``/``repr`` from ``BaseEstimator``, ``fit`` returns self.

``check_estimator`` as a whole does not apply: these are not predictors or transformers (no
``predict``/``transform``), the weighters refuse data that scikit-learn's checks feed (constant
or negative columns for entropy, fewer rows than columns for PCA), and ``IndexScorer`` takes a
survey wave, not an ``X`` matrix. The checks that do apply, run below: cloning keeps the
parameters, ``__init__`` stores them unchanged, ``fit`` does not change them, ``repr`` works,
and no fitted attribute exists before ``fit``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
)

from scoring.data import SurveyData
from scoring.framework import Framework, default_framework_dict
from scoring.pipeline import IndexScorer
from scoring.weight_model import builtin_model
from scoring.weighting.objective import CriticWeighter, EntropyWeighter, PCAWeighter

RNG = np.random.default_rng(5)
X = RNG.uniform(40, 90, size=(30, 4))


def _scorer() -> IndexScorer:
    return IndexScorer(
        Framework.from_dict(default_framework_dict()), builtin_model("equal"), bootstrap=0
    )


ESTIMATORS: list[tuple[BaseEstimator, dict[str, Any]]] = [
    (EntropyWeighter(transform="raw"), {"transform": "raw"}),
    (CriticWeighter(), {"directions": None}),
    (PCAWeighter(min_eigenvalue=0.5), {"min_eigenvalue": 0.5}),
    (_scorer(), {"bootstrap": 0}),
]


@pytest.mark.parametrize(("estimator", "params"), ESTIMATORS, ids=lambda e: type(e).__name__)
def test_the_parameter_contract(estimator: BaseEstimator, params: dict[str, Any]) -> None:
    name = type(estimator).__name__
    assert isinstance(estimator, BaseEstimator)
    assert params.items() <= estimator.get_params().items()
    copy = clone(estimator)
    assert type(copy) is type(estimator) and copy is not estimator
    assert copy.get_params().keys() == estimator.get_params().keys()
    assert name in repr(estimator)
    check_no_attributes_set_in_init(name, estimator)
    check_get_params_invariance(name, estimator)
    changed = clone(estimator).set_params(**params)
    assert params.items() <= changed.get_params().items()


@pytest.mark.parametrize("weighter", [EntropyWeighter(), CriticWeighter(), PCAWeighter()])
def test_fit_returns_self_and_leaves_parameters_alone(weighter: BaseEstimator) -> None:
    before = weighter.get_params()
    assert not hasattr(weighter, "weights_")
    assert weighter.fit(X) is weighter
    assert weighter.get_params() == before
    assert np.isclose(weighter.weights_.sum(), 1.0)


def test_the_index_scorer_fits_a_wave_and_clones_unfitted() -> None:
    fw = Framework.from_dict(default_framework_dict())
    answers = RNG.integers(1, 6, size=(80, len(fw.item_codes))).astype(float)
    data = SurveyData(answers, fw.item_codes, np.repeat([0, 1], 40), ("A", "B"))
    scorer = _scorer().fit(data)
    assert scorer.scores_.shape == (2,)
    fresh = clone(scorer)
    assert not hasattr(fresh, "scores_") and fresh.get_params()["bootstrap"] == 0
