"""Stage 1, screening: drop the responses an exclusion policy rejects (speeders,
straight-liners, near-duplicates), and count them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring import quality
from scoring.data import SurveyData
from scoring.errors import ScoringError
from scoring.framework import Framework


@dataclass(frozen=True)
class Screened:
    """The rows kept for scoring, the number of rows given, and the counts per rule."""

    data: SurveyData
    n_input: int
    exclusions: dict[str, Any]


def screen(
    data: SurveyData,
    framework: Framework,
    policy: quality.ExclusionPolicy | dict[str, Any] | str | None,
    flags: quality.QualityFlags | None = None,
) -> Screened:
    """Apply an exclusion policy to quality flags (computed here unless given).

    Speeders need ``durations``; straight-lining is checked per dimension (blocks that contain
    reverse-keyed items); near-duplicates only when the policy excludes them (it is the costly
    rule). ``policy`` is ``None`` (keep everything), ``"default"``, a dict or an
    :class:`~scoring.quality.ExclusionPolicy`.
    """
    if policy is None:
        return Screened(data, data.n, {"policy": None})
    if isinstance(policy, str):
        if policy != "default":
            raise ScoringError(f"unknown exclusion policy {policy!r}")
        policy = quality.ExclusionPolicy()
    elif isinstance(policy, dict):
        policy = quality.ExclusionPolicy.from_dict(policy)
    if flags is None:
        flags = _quality_flags(data, framework, policy)
    keep, counts = quality.apply_exclusion_policy(flags, policy)
    kept = data if keep.all() else data.subset(keep)
    return Screened(kept, data.n, {"policy": policy.to_dict(), "counts": counts})


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
