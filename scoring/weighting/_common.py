"""Shared input checks for the method modules (private)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scoring.errors import ScoringError

FloatArray = NDArray[np.float64]


def as_matrix(X: ArrayLike, name: str = "X", *, allow_nan: bool = False) -> FloatArray:
    """Return ``X`` as a 2-D float64 array, raising :class:`ScoringError` on bad input."""
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ScoringError(f"{name} must be a numeric matrix: {exc}") from None
    if arr.ndim != 2:
        raise ScoringError(
            f"{name} must be 2-D (rows = communities or respondents, columns = indicators); "
            f"got shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ScoringError(f"{name} is empty (shape {arr.shape})")
    if np.isinf(arr).any():
        i, j = np.argwhere(np.isinf(arr))[0]
        raise ScoringError(f"{name} has an infinite value at row {i}, column {j}")
    if not allow_nan and np.isnan(arr).any():
        bad = np.argwhere(np.isnan(arr))
        cols = sorted({int(c) for c in bad[:, 1]})
        raise ScoringError(
            f"{name} has {len(bad)} missing value(s) (first at row {bad[0, 0]}, column "
            f"{bad[0, 1]}; columns {cols[:10]}): impute or drop them before this method"
        )
    return arr


def as_vector(v: ArrayLike, name: str, *, allow_nan: bool = False) -> FloatArray:
    """Return ``v`` as a 1-D float64 array."""
    try:
        arr = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ScoringError(f"{name} must be numeric: {exc}") from None
    if arr.ndim != 1:
        raise ScoringError(f"{name} must be 1-D; got shape {arr.shape}")
    if arr.size == 0:
        raise ScoringError(f"{name} is empty")
    if np.isinf(arr).any() or (not allow_nan and np.isnan(arr).any()):
        raise ScoringError(f"{name} must contain finite numbers only")
    return arr


def as_directions(directions: ArrayLike | None, n: int) -> NDArray[np.int8]:
    """Validate a direction vector: +1 benefit (higher is better), −1 cost.

    ``None`` means every column is a benefit column. Strings ``"benefit"``/``"cost"`` (or
    ``"+"``/``"-"``) are accepted too.
    """
    if directions is None:
        return np.ones(n, dtype=np.int8)
    if isinstance(directions, str):
        raise ScoringError("directions must be a sequence with one entry per column")
    seq = list(np.asarray(directions, dtype=object).ravel())
    if len(seq) != n:
        raise ScoringError(f"directions has {len(seq)} entries; the matrix has {n} columns")
    out = np.empty(n, dtype=np.int8)
    names = {"benefit": 1, "+": 1, "max": 1, "cost": -1, "-": -1, "min": -1}
    for j, d in enumerate(seq):
        if isinstance(d, str) and d.lower() in names:
            out[j] = names[d.lower()]
        elif not isinstance(d, str) and d in (1, -1):
            out[j] = int(d)
        else:
            raise ScoringError(
                f"directions[{j}] = {d!r}: use +1 / 'benefit' (higher is better) or "
                "-1 / 'cost' (lower is better)"
            )
    return out


def check_weights(w: ArrayLike, name: str = "weights", n: int | None = None) -> FloatArray:
    """Validate non-negative weights (not all zero) and return them normalised to sum 1."""
    arr = as_vector(w, name)
    if n is not None and arr.size != n:
        raise ScoringError(f"{name} has {arr.size} entries; expected {n}")
    if (arr < 0).any():
        j = int(np.argmax(arr < 0))
        raise ScoringError(f"{name}[{j}] = {arr[j]:g} is negative; weights must be >= 0")
    total = arr.sum()
    if total <= 0:
        raise ScoringError(f"{name} are all zero; at least one weight must be positive")
    return arr / total


def minmax_by_direction(X: FloatArray, directions: NDArray[np.int8]) -> FloatArray:
    """Min-max to [0, 1] per column, reversed for cost columns; a constant column → 0."""
    lo = X.min(axis=0)
    hi = X.max(axis=0)
    rng = hi - lo
    safe = np.where(rng > 0, rng, 1.0)
    R = np.where(directions > 0, (X - lo) / safe, (hi - X) / safe)
    R[:, rng == 0] = 0.0
    return R


def labels_or_index(labels: Sequence[str] | None, n: int) -> list[str]:
    """Labels used in messages: the caller's or ``0..n-1``."""
    if labels is None:
        return [str(i) for i in range(n)]
    labs = [str(x) for x in labels]
    if len(labs) != n:
        raise ScoringError(f"labels has {len(labs)} entries; expected {n}")
    return labs
