"""The stages of :func:`scoring.pipeline.score_wave`, in order, one module each.

Each stage is a function of the earlier stages' values and returns one small frozen dataclass:

1. :func:`screen` (``screening``) → :class:`Screened`: the rows an exclusion policy keeps.
2. :func:`rescale` (``rescaling``) → :class:`Rescaled`: 0–100 item scores and outcomes.
3. :func:`survey_weights` (``sampling_weights``) → :class:`SurveyWeights`: raking or base
   weights, design effects.
4. :func:`aggregate` (``aggregates``) → :class:`Aggregates`: community item means and the OSI.
5. :func:`resolve_weights` (``dimension_weights``) → :class:`ResolvedWeights`: the dimension
   weights as numbers, and the tree spec.
6. :func:`hierarchical_index` (``index_tree``) → :class:`IndexTree`: node scores, suppression
   and ranks.
7. :func:`uncertainty` (``uncertainty``) → :class:`Uncertainty`: SEs and intervals.
8. :func:`publish` (``publication``) → :class:`Published`: suppressed rows blanked, grades.
9. :func:`diagnose` (``diagnostics``) → :class:`Diagnostics`: reliability and priorities.
"""

from scoring.stages.aggregates import Aggregates, aggregate
from scoring.stages.diagnostics import Diagnostics, diagnose
from scoring.stages.dimension_weights import ResolvedWeights, resolve_weights
from scoring.stages.index_tree import IndexTree, hierarchical_index
from scoring.stages.publication import Published, publish
from scoring.stages.rescaling import Rescaled, rescale
from scoring.stages.sampling_weights import SurveyWeights, survey_weights
from scoring.stages.screening import Screened, screen
from scoring.stages.uncertainty import Uncertainty, uncertainty

__all__ = [
    "Aggregates",
    "Diagnostics",
    "IndexTree",
    "Published",
    "Rescaled",
    "ResolvedWeights",
    "Screened",
    "SurveyWeights",
    "Uncertainty",
    "aggregate",
    "diagnose",
    "hierarchical_index",
    "publish",
    "rescale",
    "resolve_weights",
    "screen",
    "survey_weights",
    "uncertainty",
]
