"""Domain errors raised by :mod:`scoring`.

``api`` maps them to 4xx responses; notebooks see them as ordinary ``ValueError``s.
"""


class ScoringError(ValueError):
    """Input that the scoring engine cannot work with (bad weights, shapes, codes...)."""


class WeightModelError(ScoringError):
    """A weight model that does not validate: the message names what is wrong."""


class InconsistentJudgementsError(WeightModelError):
    """An AHP matrix whose consistency ratio is at or above the accepted threshold."""


class IncomparableWavesError(ScoringError):
    """Two results scored with different models or presets were asked to be compared."""
