"""Pure numerics for the 美好社区 index: numpy, scipy and scikit-learn only.

Nothing here imports the web, the database or the rest of meihao, so a researcher can use it on
a numpy array or a CSV without a server. The import rule is enforced by
``tests/scoring/test_import_rules.py``.

The public API is re-exported here (``from scoring import score_wave, WeightModel, ...``);
``__all__`` lists it and docs/interfaces.md describes it. The names are loaded on first use, so
``import scoring`` stays cheap for the API process, which needs only a few of them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# name → module that defines it. A function named like its module (``bootstrap``, ``trend``,
# ``rank_sets``) is not re-exported: it would shadow the submodule on the package.
_EXPORTS: dict[str, str] = {
    # one wave → results
    "score_wave": "scoring.pipeline",
    "IndexScorer": "scoring.pipeline",
    "WaveResult": "scoring.result",
    "SurveyData": "scoring.data",
    "Framework": "scoring.framework",
    "default_framework_dict": "scoring.framework",
    "WeightModel": "scoring.weight_model",
    "builtin_model": "scoring.weight_model",
    "ScoringError": "scoring.errors",
    "WeightModelError": "scoring.errors",
    # survey weights and uncertainty
    "rake": "scoring.survey_weights",
    "kish": "scoring.survey_weights",
    "monte_carlo_ranks": "scoring.montecarlo",
    "weight_draws": "scoring.montecarlo",
    # weighting methods
    "ahp_weights": "scoring.weighting",
    "entropy_weights": "scoring.weighting",
    "critic_weights": "scoring.weighting",
    "pca_weights": "scoring.weighting",
    "combine_weights": "scoring.weighting",
    "derived_importance": "scoring.weighting",
    "relative_weights": "scoring.weighting",
    "EntropyWeighter": "scoring.weighting",
    "CriticWeighter": "scoring.weighting",
    "PCAWeighter": "scoring.weighting",
    "entropy_signal_weights": "scoring.weighting.objective",
    "critic_signal_weights": "scoring.weighting.objective",
    # publishing: ranks, grades, changes, small areas
    "publication": "scoring.rank",
    "Note": "scoring.rank",
    "grade_probabilities": "scoring.grades",
    "display_value": "scoring.grades",
    "change_report": "scoring.change",
    "ChangeLabel": "scoring.change",
    "compare_waves": "scoring.trend",
    "fay_herriot": "scoring.small_area",
    # closing the loop: free-text themes, effects of actions
    "fit_themes": "scoring.themes",
    "apply_themes": "scoring.themes",
    "did_effect": "scoring.effects",
    "effect_report": "scoring.effects",
    # diagnostics
    "reliability_report": "scoring.reliability",
    "icc_oneway": "scoring.icc",
    "driver_importance": "scoring.importance",
    "ipa_quadrants": "scoring.importance",
    "QualityFlags": "scoring.quality",
    "ExclusionPolicy": "scoring.quality",
    "speeder_flags": "scoring.quality",
    "straightlining_flags": "scoring.quality",
    # multi-criteria methods
    "topsis": "scoring.mcda",
    "grey_relational_analysis": "scoring.mcda",
    "fuzzy_evaluation": "scoring.mcda",
}

__all__ = [
    "ChangeLabel",
    "CriticWeighter",
    "EntropyWeighter",
    "ExclusionPolicy",
    "Framework",
    "IndexScorer",
    "Note",
    "PCAWeighter",
    "QualityFlags",
    "ScoringError",
    "SurveyData",
    "WaveResult",
    "WeightModel",
    "WeightModelError",
    "ahp_weights",
    "apply_themes",
    "builtin_model",
    "change_report",
    "combine_weights",
    "compare_waves",
    "critic_signal_weights",
    "critic_weights",
    "default_framework_dict",
    "derived_importance",
    "did_effect",
    "display_value",
    "driver_importance",
    "effect_report",
    "entropy_signal_weights",
    "entropy_weights",
    "fay_herriot",
    "fit_themes",
    "fuzzy_evaluation",
    "grade_probabilities",
    "grey_relational_analysis",
    "icc_oneway",
    "ipa_quadrants",
    "kish",
    "monte_carlo_ranks",
    "pca_weights",
    "publication",
    "rake",
    "relative_weights",
    "reliability_report",
    "score_wave",
    "speeder_flags",
    "straightlining_flags",
    "topsis",
    "weight_draws",
]
assert set(__all__) == set(_EXPORTS)  # one list, kept in step


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'scoring' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what mypy and editors see; at run time the names load on first use
    from scoring.change import ChangeLabel, change_report
    from scoring.data import SurveyData
    from scoring.effects import did_effect, effect_report
    from scoring.errors import ScoringError, WeightModelError
    from scoring.framework import Framework, default_framework_dict
    from scoring.grades import display_value, grade_probabilities
    from scoring.icc import icc_oneway
    from scoring.importance import driver_importance, ipa_quadrants
    from scoring.mcda import fuzzy_evaluation, grey_relational_analysis, topsis
    from scoring.montecarlo import monte_carlo_ranks, weight_draws
    from scoring.pipeline import IndexScorer, score_wave
    from scoring.quality import (
        ExclusionPolicy,
        QualityFlags,
        speeder_flags,
        straightlining_flags,
    )
    from scoring.rank import Note, publication
    from scoring.reliability import reliability_report
    from scoring.result import WaveResult
    from scoring.small_area import fay_herriot
    from scoring.survey_weights import kish, rake
    from scoring.themes import apply_themes, fit_themes
    from scoring.trend import compare_waves
    from scoring.weight_model import WeightModel, builtin_model
    from scoring.weighting import (
        CriticWeighter,
        EntropyWeighter,
        PCAWeighter,
        ahp_weights,
        combine_weights,
        critic_weights,
        derived_importance,
        entropy_weights,
        pca_weights,
        relative_weights,
    )
    from scoring.weighting.objective import critic_signal_weights, entropy_signal_weights
