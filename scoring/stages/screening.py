"""Stage 1, screening: drop the responses an exclusion policy rejects (speeders,
straight-liners, near-duplicates) and those that answer too few index items to be a valid
response (the weight model's ``min_valid_share``), and count them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scoring import quality
from scoring.data import SurveyData
from scoring.errors import ScoringError
from scoring.framework import Framework


@dataclass(frozen=True)
class Screened:
    """The rows kept for scoring, the number of rows given, the counts per exclusion rule and
    the validity rule's count (``validity``, empty when the rule was not applied)."""

    data: SurveyData
    n_input: int
    exclusions: dict[str, Any]
    validity: dict[str, Any] = field(default_factory=dict)


def valid_responses(answers: np.ndarray, min_valid_share: float) -> np.ndarray:
    """True where a respondent answered at least ``min_valid_share`` of the index items.

    ``answers`` is (n, p) with NaN for don't-know and skipped items: don't-know is not an
    answer. A share of 0 keeps everybody (the rule is off).

    Examples
    --------
    >>> nan = np.nan
    >>> valid_responses(np.array([[1, 2, nan, nan], [1, nan, nan, nan]]), 0.5).tolist()
    [True, False]
    """
    if not 0.0 <= min_valid_share <= 1.0:
        raise ScoringError(f"min_valid_share must be in [0, 1]; got {min_valid_share}")
    p = answers.shape[1]
    answered = (~np.isnan(answers)).sum(axis=1)
    # An integer threshold avoids a float comparison deciding a tie (3 of 6 at share 0.5).
    need = int(np.ceil(min_valid_share * p - 1e-9))
    return np.asarray(answered >= need, dtype=bool)


def screen(
    data: SurveyData,
    framework: Framework,
    policy: quality.ExclusionPolicy | dict[str, Any] | str | None,
    flags: quality.QualityFlags | None = None,
    *,
    min_valid_share: float | None = None,
) -> Screened:
    """Apply an exclusion policy to quality flags (computed here unless given).

    Speeders need ``durations``; straight-lining is checked per dimension (blocks that contain
    reverse-keyed items); near-duplicates only when the policy excludes them (it is the costly
    rule). ``policy`` is ``None`` (keep everything), ``"default"``, a dict or an
    :class:`~scoring.quality.ExclusionPolicy`.

    ``min_valid_share`` (the weight model's; ``None`` = rule off) keeps only the respondents
    who answered at least that share of the index items; the rule applies after the exclusion
    policy, and ``validity["respondents_below_valid_share"]`` counts the rows it alone drops
    (a row the policy already excluded is not counted twice).
    """
    keep = np.ones(data.n, dtype=bool)
    exclusions: dict[str, Any] = {"policy": None}
    if policy is not None:
        keep, exclusions = _apply_policy(data, framework, policy, flags)
    validity: dict[str, Any] = {}
    if min_valid_share is not None:
        valid = valid_responses(data.columns(framework.item_codes), float(min_valid_share))
        validity = {
            "min_valid_share": float(min_valid_share),
            "respondents_below_valid_share": int((keep & ~valid).sum()),
        }
        keep = keep & valid
    kept = data if keep.all() else data.subset(keep)
    return Screened(kept, data.n, exclusions, validity)


def _apply_policy(
    data: SurveyData,
    framework: Framework,
    policy: quality.ExclusionPolicy | dict[str, Any] | str,
    flags: quality.QualityFlags | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    if isinstance(policy, str):
        if policy != "default":
            raise ScoringError(f"unknown exclusion policy {policy!r}")
        policy = quality.ExclusionPolicy()
    elif isinstance(policy, dict):
        policy = quality.ExclusionPolicy.from_dict(policy)
    if flags is None:
        flags = _quality_flags(data, framework, policy)
    keep, counts = quality.apply_exclusion_policy(flags, policy)
    return np.asarray(keep, dtype=bool), {"policy": policy.to_dict(), "counts": counts}


def _quality_flags(
    data: SurveyData, framework: Framework, policy: quality.ExclusionPolicy
) -> quality.QualityFlags:
    """The flags of the rules ``policy`` excludes by (no rule: nobody is flagged)."""
    Xi = data.columns(framework.item_codes)
    answered = (~np.isnan(Xi)).sum(axis=1)
    kwargs: dict[str, Any] = {}
    if data.durations is not None and "speeder" in policy.exclude:
        kwargs["speeder"] = quality.speeder_flags(data.durations, answered)
    if "straightliner" in policy.exclude:
        blocks = [
            np.flatnonzero(framework.dim_of_item == d).tolist()
            for d in range(len(framework.dimension_codes))
        ]
        kwargs["straightliner"] = quality.straightlining_flags(Xi, blocks, framework.reverse).flags
    if "duplicate" in policy.exclude:
        kwargs["duplicate"] = quality.near_duplicate_flags(Xi, data.group_index).flags
    if not kwargs:
        return quality.QualityFlags(speeder=np.zeros(data.n, dtype=bool))
    return quality.QualityFlags(**kwargs)
