"""Weighting methods: equal, fixed, AHP, entropy, CRITIC, PCA, derived importance, combined.

See ``docs/methods-weighting.md`` for formulas, conventions and references.
"""

from scoring.weighting.ahp import (
    RI_TABLES,
    SAATY_SCALE,
    AHPResult,
    ahp_column_average,
    ahp_weights,
    group_ahp,
    random_index,
)
from scoring.weighting.combine import combine_weights
from scoring.weighting.derived import DerivedImportance, derived_importance, relative_weights
from scoring.weighting.objective import (
    CriticWeighter,
    EntropyWeighter,
    PCAWeighter,
    SignalWeights,
    critic_signal_weights,
    critic_weights,
    entropy_signal_weights,
    entropy_weights,
    equal_weights,
    fixed_weights,
    pca_weights,
)

__all__ = [
    "RI_TABLES",
    "SAATY_SCALE",
    "AHPResult",
    "CriticWeighter",
    "DerivedImportance",
    "EntropyWeighter",
    "PCAWeighter",
    "SignalWeights",
    "ahp_column_average",
    "ahp_weights",
    "combine_weights",
    "critic_signal_weights",
    "critic_weights",
    "derived_importance",
    "entropy_signal_weights",
    "entropy_weights",
    "equal_weights",
    "fixed_weights",
    "group_ahp",
    "pca_weights",
    "random_index",
    "relative_weights",
]
