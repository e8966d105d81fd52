"""Quality signals at intake: near-duplicate answer vectors and the honeypot.

Suspicious responses are flagged and stored, never dropped (RELIABILITY.md): a flag can be reviewed,
a dropped answer cannot. The speeder check (duration against the number of answers) lives in
:func:`survey.storage.responses.intake_flags`; these are the checks that need the form or the
database.

Near-duplicates: ballot stuffing from one phone, or a grid worker entering the same sheet twice,
shows up as (nearly) the same answer vector for the same community within minutes. Comparing the
packed numeric vectors (``survey/storage/encoding.py``) of the community's recent responses is one
small ``SELECT`` and a numpy comparison, so it costs the submission path almost nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlmodel import Session

from survey.storage.encoding import DTYPE, NO_ANSWER
from survey.storage.recent_vectors import read_recent_vectors

NEAR_DUPLICATE = "near_duplicate"
HONEYPOT = "honeypot"
NEAR_DUPLICATE_WINDOW = timedelta(minutes=15)
# At most this many slots may differ (out of ~60): a changed answer or two is still the same sheet.
MAX_DIFFERENT_SLOTS = 2
# Enough answered slots that agreement means something (a near-empty vector matches anything).
MIN_ANSWERED_SLOTS = 10


def differing_slots(candidate: bytes, others: list[bytes]) -> np.ndarray:
    """For each vector in ``others``, how many slots differ from ``candidate`` (vectors of
    another length, i.e. another questionnaire version, count as entirely different)."""
    mine = np.frombuffer(candidate, dtype=DTYPE)
    if others and set(map(len, others)) == {len(candidate)}:  # one version: the usual case
        matrix = np.frombuffer(b"".join(others), dtype=DTYPE).reshape(len(others), -1)
        # Counted as uint16 (a vector has far fewer slots): bool's sum widens every cell to
        # int64, twice the time of the comparison itself.
        different = (matrix != mine).view(np.uint8)
        return np.add.reduce(different, axis=1, dtype=np.uint16).astype(np.int64)
    same_length = [blob for blob in others if len(blob) == len(candidate)]
    counts = np.full(len(others), len(mine), dtype=np.int64)
    if not same_length:
        return counts
    matrix = np.frombuffer(b"".join(same_length), dtype=DTYPE).reshape(len(same_length), -1)
    diffs = (matrix != mine).sum(axis=1)
    positions = [i for i, blob in enumerate(others) if len(blob) == len(candidate)]
    counts[positions] = diffs
    return counts


def is_near_duplicate(candidate: bytes, others: list[bytes]) -> bool:
    answered = int((np.frombuffer(candidate, dtype=DTYPE) != NO_ANSWER).sum())
    if answered < MIN_ANSWERED_SLOTS or not others:
        return False
    return bool((differing_slots(candidate, others) <= MAX_DIFFERENT_SLOTS).any())


def recent_vectors(
    *,
    session: Session,
    wave_id: int,
    community_id: int,
    now: datetime | None = None,
    window: timedelta = NEAR_DUPLICATE_WINDOW,
) -> list[bytes]:
    """Packed vectors of the community's responses in this wave within ``window`` before now
    (the newest ``RECENT_LIMIT``), read through the process's cache of them
    (survey/storage/recent_vectors.py: only rows stored since the last look are fetched)."""
    return read_recent_vectors(
        session.connection(), wave_id=wave_id, community_id=community_id, window=window, now=now
    )


def near_duplicate_flags(
    *, session: Session, wave_id: int, community_id: int, vector: bytes
) -> list[str]:
    """``["near_duplicate"]`` when a recent response of the community nearly equals ``vector``."""
    others = recent_vectors(session=session, wave_id=wave_id, community_id=community_id)
    return [NEAR_DUPLICATE] if is_near_duplicate(vector, others) else []
