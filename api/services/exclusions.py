"""Which responses a snapshot leaves out of the index, and why: the wave's exclusion policy
applied to the flags stored at intake (docs/methods.md §10).

Computed here and handed to ``scoring.pipeline.score_wave`` as ``quality_flags`` and
``exclusion_policy``, so the pipeline's own screening only applies them. Rules:

- ``honeypot``: the hidden field was filled (stored at intake);
- ``speeder``: bot speed, under 1.5 s per answered item, timed by the server (stored at intake;
  a response of unknown duration is never a speeder);
- ``duplicate``: an exact copy of an earlier answer vector of the same community (the first is
  kept);
- ``straightliner``: the same answer to every item of a dimension that has reverse-keyed items,
  except the scale midpoint (answering 3 throughout is consistent under reversal);
- ``quarantined``: in a batch an admin quarantined (api/admin/, suspect_batch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scoring import quality
from scoring.framework import Framework
from survey.storage.matrix import WaveMatrix
from survey.storage.models import Wave

DEFAULT_EXCLUDE = ("honeypot", "speeder", "duplicate", "quarantined", "straightliner")
LIKERT_MIDPOINT = 3.0  # of the 1–5 agreement scale
QUARANTINED = "quarantined"


def policy_of(wave: Wave) -> quality.ExclusionPolicy:
    """The wave's stored policy, or the default when none was set."""
    stored = wave.exclusion_policy or {}
    if "exclude" not in stored:  # {} (or nothing stored): the default policy
        return quality.ExclusionPolicy(exclude=DEFAULT_EXCLUDE)
    return quality.ExclusionPolicy(exclude=tuple(stored["exclude"]))  # [] keeps every response


def exact_duplicates(X: np.ndarray, group: np.ndarray) -> np.ndarray:
    """True for every row equal (NaN equal to NaN) to an earlier row of the same group."""
    if X.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    filled = np.where(np.isnan(X), -1.0, X)
    keyed = np.column_stack([group.astype(float), filled])
    _, first = np.unique(keyed, axis=0, return_index=True)
    flags = np.ones(X.shape[0], dtype=bool)
    flags[first] = False
    return flags


def flags_of(matrix: WaveMatrix | Any, framework: Framework) -> quality.QualityFlags:
    """Every rule's flags for the wave's rows (in the matrix's row order); ``matrix`` is a
    :class:`WaveMatrix` or a ``survey.research.ResearchData`` (same fields)."""
    stored = matrix.quality_flags or [()] * len(matrix.response_ids)
    col = {c: i for i, c in enumerate(matrix.codes)}
    Xi = matrix.X[:, [col[c] for c in framework.item_codes]]
    blocks = [
        np.flatnonzero(framework.dim_of_item == d).tolist()
        for d in range(len(framework.dimension_codes))
    ]
    sl = quality.straightlining_flags(Xi, blocks, framework.reverse)
    off_midpoint = np.zeros_like(sl.block_flags)
    for b, cols in enumerate(blocks):
        if cols:
            values = np.nanmax(np.where(np.isnan(Xi[:, cols]), -np.inf, Xi[:, cols]), axis=1)
            off_midpoint[:, b] = values != LIKERT_MIDPOINT
    return quality.QualityFlags(
        speeder=np.array(["speeder" in f for f in stored], dtype=bool),
        honeypot=np.array(["honeypot" in f for f in stored], dtype=bool),
        duplicate=exact_duplicates(Xi, matrix.community_index),
        straightliner=np.asarray((sl.block_flags & off_midpoint).any(axis=1), dtype=bool),
        extra={QUARANTINED: np.array([QUARANTINED in f for f in stored], dtype=bool)},
    )


def community_summaries(
    flags: quality.QualityFlags, policy: quality.ExclusionPolicy, group: np.ndarray, m: int
) -> list[dict[str, Any]]:
    """:func:`summary`'s counts for each of the ``m`` communities (``group`` gives each row's
    community index): n received, n excluded (each response once), n excluded by each rule of
    the policy (a response may fall under several) and n scored. Their sums are the wave's."""
    keep, _ = quality.apply_exclusion_policy(flags, policy)
    arrays = flags.as_dict()
    g = np.asarray(group, dtype=np.int64)
    received = np.bincount(g, minlength=m)
    scored = np.bincount(g[keep], minlength=m)
    by_rule = {rule: np.bincount(g[arrays[rule]], minlength=m) for rule in policy.exclude}
    return [
        {
            "n_received": int(received[i]),
            "n_excluded": int(received[i] - scored[i]),
            "excluded_by_rule": {rule: int(counts[i]) for rule, counts in by_rule.items()},
            "n_scored": int(scored[i]),
        }
        for i in range(m)
    ]


def summary(flags: quality.QualityFlags, policy: quality.ExclusionPolicy) -> dict[str, Any]:
    """n received / n excluded by rule / n scored (a response may fall under several rules;
    ``n_excluded`` counts each once)."""
    keep, counts = quality.apply_exclusion_policy(flags, policy)
    return {
        "policy": list(policy.exclude),
        "n_received": int(keep.size),
        "n_excluded": int((~keep).sum()),
        "excluded_by_rule": {rule: counts[rule] for rule in policy.exclude},
        "flagged_not_excluded": {
            rule: n
            for rule, n in counts.items()
            if rule not in policy.exclude and rule not in ("excluded", "kept")
        },
        "n_scored": int(keep.sum()),
    }
