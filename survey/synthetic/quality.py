"""Low-quality responses mixed into a wave, each with a known label (never silently dropped).

Speeders answer fast and half at random, straight-liners give one answer to every likert item
(reverse keys ignored), duplicates re-submit a near-copy of another resident's answers minutes
later under a new client id. ``survey`` quality flags and ``scoring`` screening are tested
against these labels.
"""

from __future__ import annotations

import numpy as np

from survey.synthetic.layout import Layout


def _likert_columns(layout: Layout) -> np.ndarray:
    return np.array([layout.column[c] for c in layout.likert_points if c in layout.column])


def speeders(
    rng: np.random.Generator,
    numeric: np.ndarray,
    durations: np.ndarray,
    mask: np.ndarray,
    layout: Layout,
) -> None:
    """Short durations; half of their likert and rating answers are random."""
    rows = np.flatnonzero(mask)
    durations[rows] = np.exp(rng.normal(np.log(110.0), 0.3, len(rows)))
    for code, (low, high) in [
        *((c, (1, p)) for c, p in layout.likert_points.items()),
        *layout.rating_range.items(),
    ]:
        col = layout.column[code]
        noisy = rows[rng.random(len(rows)) < 0.5]
        numeric[noisy, col] = rng.integers(low, high + 1, len(noisy))


def straightliners(
    rng: np.random.Generator,
    numeric: np.ndarray,
    durations: np.ndarray,
    mask: np.ndarray,
    layout: Layout,
) -> None:
    """The same answer on every likert item, reverse keys ignored (mostly all 5s)."""
    rows = np.flatnonzero(mask)
    value = np.array([5, 4, 3, 1], dtype=np.int16)[
        np.searchsorted([0.55, 0.85, 0.95], rng.random(len(rows)))
    ]
    value = np.minimum(value, min(layout.likert_points.values(), default=5))
    cols = _likert_columns(layout)
    numeric[np.ix_(rows, cols)] = value[:, None]
    durations[rows] = np.exp(rng.normal(np.log(220.0), 0.35, len(rows)))


def duplicates(
    rng: np.random.Generator,
    mask: np.ndarray,
    comm: np.ndarray,
    *,
    copy: tuple[np.ndarray, ...],
    texts: dict[int, str],
    durations: np.ndarray,
    submitted: np.ndarray,
    nudge_columns: np.ndarray,
) -> np.ndarray:
    """Turn the rows in ``mask`` into near-copies; returns ``duplicate_of`` (−1 for originals).

    Each copies every array in ``copy`` (and its text) from another row of its community that is
    not itself a copy, is submitted 1–60 minutes after it, a little faster, and has up to two
    index answers (``nudge_columns``) moved by one point.
    """
    duplicate_of = _duplicate_sources(rng, mask, comm)
    _copy_duplicates(duplicate_of, copy, texts)
    rows = np.flatnonzero(duplicate_of >= 0)
    source = duplicate_of[rows]
    durations[rows] = durations[source] * rng.uniform(0.5, 1.0, len(rows))
    submitted[rows] = submitted[source] + rng.integers(60, 3600, len(rows)).astype("m8[s]")
    _nudge(rng, numeric=copy[0], rows=rows, cols=nudge_columns)
    return duplicate_of


def _duplicate_sources(rng: np.random.Generator, mask: np.ndarray, comm: np.ndarray) -> np.ndarray:
    """For each row in ``mask``, another row of its community that is not itself a copy."""
    duplicate_of = np.full(len(mask), -1, dtype=np.int64)
    rows = np.flatnonzero(mask)
    originals = np.flatnonzero(~mask)
    per_comm = np.bincount(comm[originals], minlength=int(comm.max(initial=0)) + 1)
    first = np.cumsum(per_comm) - per_comm
    c = comm[rows]
    rows, c = rows[per_comm[c] > 0], c[per_comm[c] > 0]
    pick = (rng.random(len(rows)) * per_comm[c]).astype(np.int64)
    duplicate_of[rows] = originals[first[c] + pick]
    return duplicate_of


def _copy_duplicates(
    duplicate_of: np.ndarray, columns: tuple[np.ndarray, ...], texts: dict[int, str]
) -> None:
    rows = np.flatnonzero(duplicate_of >= 0)
    source = duplicate_of[rows]
    for column in columns:
        column[rows] = column[source]
    for row, src in zip(rows.tolist(), source.tolist(), strict=True):
        texts.pop(row, None)
        if src in texts:
            texts[row] = texts[src]


def _nudge(
    rng: np.random.Generator, numeric: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> None:
    """Move up to two answered index items of each row by one point (a resubmission)."""
    for _ in range(2):
        col = cols[rng.integers(0, len(cols), len(rows))]
        current = numeric[rows, col]
        moved = np.clip(current + np.where(rng.random(len(rows)) < 0.5, -1, 1), 1, 5)
        keep = (current >= 1) & (current <= 5) & (rng.random(len(rows)) < 0.5)
        numeric[rows, col] = np.where(keep, moved, current)
