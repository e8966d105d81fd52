"""From raw answers to the 0–100 scale (METHODS.md §1).

Missing answers (including 不了解/不适用, already NaN in the matrix) stay NaN: they are excluded
from every denominator, never scored as zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scoring.errors import ScoringError

PRESETS = ("ptm", "cn_gov", "top2box")

#: Category scores of the ``cn_gov`` preset for a 5-point scale (1 → 0 … 5 → 100).
CN_GOV_5 = np.array([np.nan, 0.0, 30.0, 60.0, 80.0, 100.0])


def _check_range(X: np.ndarray, points: np.ndarray, codes: tuple[str, ...] | None) -> None:
    # Column minima and maxima (fmin/fmax skip NaN) are two cheap passes; integrality is the
    # survey package's job, and a non-integer answer would merely score in between.
    if X.shape[0] == 0:
        return
    lo = np.fmin.reduce(X, axis=0)
    hi = np.fmax.reduce(X, axis=0)
    bad = (lo < 1) | (hi > points)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        name = codes[j] if codes else str(j)
        value = lo[j] if lo[j] < 1 else hi[j]
        raise ScoringError(f"item {name!r}: answer {value!r} outside 1..{int(points[j])}")


def key_answers(X: np.ndarray, points: np.ndarray, reverse: np.ndarray) -> np.ndarray:
    """Reverse-key the answers: ``k + 1 − x`` on reverse items, unchanged elsewhere.

    Examples
    --------
    >>> key_answers(np.array([[1.0, 1.0]]), np.array([5, 5]), np.array([False, True]))
    array([[1., 5.]])
    """
    X = np.asarray(X, dtype=float)
    flip = np.asarray(reverse, dtype=bool)
    if not flip.any():
        return X
    out = X.copy()
    out[:, flip] = (np.asarray(points)[flip] + 1) - X[:, flip]
    return out


def rescale_items(
    X: np.ndarray,
    points: np.ndarray,
    reverse: np.ndarray,
    preset: str = "ptm",
    *,
    codes: tuple[str, ...] | None = None,
    check: bool = True,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Rescale k-point answers (n × p, NaN missing) to 0–100 with a preset.

    Parameters
    ----------
    X : array (n, p) of answers 1..k (NaN for missing / don't know).
    points : int array (p,), k per item.
    reverse : bool array (p,), reverse-keyed items (scored ``k + 1 − x`` first).
    preset : ``"ptm"`` percent-to-maximum ``(x − 1)/(k − 1)·100`` (default); ``"cn_gov"`` category
        scores 0/30/60/80/100 (5-point items only); ``"top2box"`` 100 when the keyed answer is one
        of the two top categories, else 0 (its mean is the share answering 4–5).
    codes : item codes, used in error messages.
    check : validate that answers are integers in 1..k.
    out : optional float array (n, p) to write the scores into (reused buffers avoid a fresh
        allocation per block); returned.

    Examples
    --------
    >>> rescale_items(np.array([[1.0, 3.0, np.nan]]), np.array([5, 5, 5]),
    ...               np.array([False, True, False]))
    array([[ 0., 50., nan]])
    >>> rescale_items(np.array([[2.0, 4.0]]), np.array([5, 5]), np.array([False, False]), "cn_gov")
    array([[30., 80.]])
    """
    X = np.asarray(X, dtype=float)
    points = np.asarray(points)
    if X.ndim != 2 or X.shape[1] != points.shape[0]:
        raise ScoringError(f"X has shape {X.shape}, expected (n, {points.shape[0]})")
    if preset not in PRESETS:
        raise ScoringError(f"unknown rescaling preset {preset!r}; choose one of {PRESETS}")
    if preset == "ptm":
        # One affine map per column, reverse keying folded in: (k − x)·c = −c·x + k·c.
        c = 100.0 / (points - 1.0)
        rev = np.asarray(reverse, dtype=bool)
        a = np.where(rev, -c, c)
        b = np.where(rev, points * c, -c)
        if out is None:
            out = np.empty_like(X)
        lo, hi = np.inf, -np.inf
        for start in range(0, X.shape[0], 65536):  # chunks: no full-size temporaries
            block = out[start : start + 65536]
            np.multiply(X[start : start + 65536], a, out=block)
            block += b
            if check and block.size:
                # The range check rides on the cache-hot block: every valid score lies in
                # 0..100 whatever its column, so a whole-block min/max (fmin/fmax skip NaN, and
                # are 4× faster than per column) is enough; the slow path names the item.
                lo = min(lo, float(np.fmin.reduce(block, axis=None)))
                hi = max(hi, float(np.fmax.reduce(block, axis=None)))
        if check and (lo < -1e-9 or hi > 100 + 1e-9):
            _check_range(X, points, codes)  # raises, naming the item
        return out
    if check:
        _check_range(X, points, codes)
    keyed = key_answers(X, points, reverse)
    if preset == "top2box":
        res = np.where(keyed >= points - 1, 100.0, 0.0)
        res[np.isnan(keyed)] = np.nan
    else:
        if np.any(points != 5):
            raise ScoringError("preset 'cn_gov' is defined for 5-point items only")
        idx = np.where(np.isnan(keyed), 0, keyed).astype(np.intp)
        res = CN_GOV_5[idx]
    if out is None:
        return res
    out[...] = res
    return out


class LazyScores:
    """0–100 scores of raw answers, rescaled block by block when indexed.

    ``LazyScores(X, points, reverse, preset)[rows]`` equals
    ``rescale_items(X, points, reverse, preset)[rows]``, but the full n × p score matrix is never
    built: consumers (community sums, the bootstrap, diagnostics) walk the rows in blocks anyway,
    and rescaling a cache-hot block is cheaper than writing and re-reading a second copy of the
    matrix. Answers are validated in every block touched.

    Examples
    --------
    >>> L = LazyScores(np.array([[1.0, 5.0], [3.0, np.nan]]), np.array([5, 5]),
    ...                np.array([False, True]))
    >>> L[1:].tolist(), L.shape
    ([[50.0, nan]], (2, 2))
    """

    def __init__(
        self,
        X: np.ndarray,
        points: np.ndarray,
        reverse: np.ndarray,
        preset: str = "ptm",
        codes: tuple[str, ...] | None = None,
    ) -> None:
        if preset not in PRESETS:
            raise ScoringError(f"unknown rescaling preset {preset!r}; choose one of {PRESETS}")
        self.X = X
        self.points = np.asarray(points)
        self.reverse = np.asarray(reverse, dtype=bool)
        self.preset = preset
        self.codes = codes
        self.shape: tuple[int, int] = (int(X.shape[0]), int(X.shape[1]))

    def __getitem__(self, rows: Any) -> np.ndarray:
        return rescale_items(self.X[rows], self.points, self.reverse, self.preset, codes=self.codes)

    def block(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """Scores of rows ``start:stop`` (``self[start:stop]``), written into ``out`` if given."""
        return rescale_items(
            self.X[start:stop], self.points, self.reverse, self.preset, codes=self.codes, out=out
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self[:]
        return out if dtype is None else out.astype(dtype)


def positive_indicator(X: np.ndarray, points: np.ndarray, reverse: np.ndarray) -> np.ndarray:
    """True where the keyed answer is in the two top categories (4–5 on a 5-point scale).

    Missing answers are False; combine with ``~np.isnan(X)`` for the denominator.

    Examples
    --------
    >>> positive_indicator(np.array([[4.0, 2.0, np.nan]]), np.array([5, 5, 5]),
    ...                    np.array([False, True, False])).tolist()
    [[True, True, False]]
    """
    X = np.asarray(X, dtype=float)
    points = np.asarray(points)
    rev = np.asarray(reverse, dtype=bool)
    # Keyed answer ≥ k − 1  ⇔  raw ≥ k − 1 (normal) or raw ≤ 2 (reverse); NaN compares False.
    out = np.greater_equal(X, points - 1)
    if rev.any():
        out[:, rev] = X[:, rev] <= 2
    return out


def rescale_outcomes(Y: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Rescale outcome ratings to 0–100: ``(y − low)/(high − low)·100`` (1–10 → (y − 1)/9·100).

    Examples
    --------
    >>> rescale_outcomes(np.array([[1.0, 10.0]]), np.array([1.0, 1.0]), np.array([10.0, 10.0]))
    array([[  0., 100.]])
    """
    Y = np.asarray(Y, dtype=float)
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    out = Y - low
    out *= 100.0 / (high - low)
    # Check on the result (inside 0–100 ⇔ inside the scale): fmin/fmax skip NaN.
    if out.size and (np.fmin.reduce(out, axis=None) < 0 or np.fmax.reduce(out, axis=None) > 100):
        raise ScoringError("outcome answer outside its scale")
    return out


def overall_satisfaction_index(
    outcome_means: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """ACSI-style OSI: weighted mean over O1..O3 of the rescaled community means.

    Parameters
    ----------
    outcome_means : array (..., q), community means of the outcomes already on 0–100.
    weights : array (q,), equal when omitted; renormalised over the non-missing outcomes.

    Examples
    --------
    >>> overall_satisfaction_index(np.array([[50.0, 70.0, np.nan]]))
    array([60.])
    """
    M = np.asarray(outcome_means, dtype=float)
    w = np.ones(M.shape[-1]) if weights is None else np.asarray(weights, dtype=float)
    ok = ~np.isnan(M)
    den = ok @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, np.where(ok, M, 0.0) @ w / den, np.nan)
