"""Analytic hierarchy process: weights and consistency from pairwise comparison matrices.

Weights are the principal right eigenvector of the reciprocal matrix, normalised to sum 1
(Saaty 1977). ``λ_max`` is the Perron eigenvalue, ``CI = (λ_max − n)/(n − 1)``,
``CR = CI / RI(n)``. The random-index table is a parameter and is stored with the result.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from scoring.errors import InconsistentJudgementsError, WeightModelError
from scoring.weighting._common import FloatArray, labels_or_index

__all__ = [
    "RI_TABLES",
    "SAATY_SCALE",
    "AHPResult",
    "ahp_column_average",
    "ahp_weights",
    "group_ahp",
    "random_index",
]

#: Random consistency indices RI(n) per table (index = n). ``None`` entries: n not tabulated.
# fmt: off
RI_TABLES: dict[str, dict[int, float]] = {
    # Saaty's classic table (Saaty 1980 / Saaty & Vargas), the one most Chinese papers use.
    "saaty": {
        1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45,
        10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59,
    },
    # Saaty (2005), Theory and Applications of the Analytic Network Process, p. 31
    # (AHPy's random_index="saaty").
    "saaty2005": {
        1: 0.0, 2: 0.0, 3: 0.52, 4: 0.89, 5: 1.11, 6: 1.25, 7: 1.35, 8: 1.40, 9: 1.45,
        10: 1.49, 11: 1.52, 12: 1.54, 13: 1.56, 14: 1.58, 15: 1.59,
    },
    # Donegan & Dodd (1991), Math. Comput. Modelling 15(10):135-137 (AHPy's default "dd");
    # sizes between tabulated ones are linearly interpolated, as AHPy does.
    "donegan_dodd": {
        1: 0.0, 2: 0.0, 3: 0.4914, 4: 0.8286, 5: 1.0591, 6: 1.1797, 7: 1.2519, 8: 1.3171,
        9: 1.3733, 10: 1.4055, 11: 1.4213, 12: 1.4497, 13: 1.4643, 14: 1.4822, 15: 1.4969,
        16: 1.5078, 17: 1.5153, 18: 1.5262, 19: 1.5313, 20: 1.5371, 25: 1.5619, 30: 1.5772,
        40: 1.5976, 50: 1.6102, 60: 1.6178, 70: 1.6237, 80: 1.6277, 90: 1.6213, 100: 1.6339,
    },
}
# fmt: on

#: Saaty's 1–9 scale and reciprocals, used to suggest a revised judgement.
SAATY_SCALE: FloatArray = np.array(
    [1 / v for v in range(9, 1, -1)] + [float(v) for v in range(1, 10)], dtype=np.float64
)


@dataclass(frozen=True)
class AHPResult:
    """Weights and consistency of one pairwise comparison matrix.

    Attributes
    ----------
    weights : ndarray (n,)
        Priority vector, non-negative, sums to 1.
    lambda_max, ci, cr, ri : float
        Perron eigenvalue, consistency index, consistency ratio and the random index used
        (``cr`` is 0 for n ≤ 2, where every reciprocal matrix is consistent).
    ri_table : str
        Name of the random-index table (see :data:`RI_TABLES`).
    most_inconsistent : tuple (i, j, value, suggested) or None
        The judgement ``a_ij`` (i < j) that deviates most from ``w_i / w_j`` on the log scale,
        its value, and the nearest Saaty-scale value to ``w_i / w_j``. ``None`` for n ≤ 2.
    method : str
        ``"eigenvector"`` (default) or ``"column_average"``.
    consistent : bool
        ``cr < max_cr``.
    """

    weights: FloatArray
    lambda_max: float
    ci: float
    cr: float
    ri: float
    ri_table: str
    most_inconsistent: tuple[int, int, float, float] | None
    method: str = "eigenvector"
    consistent: bool = True

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dict."""
        return {
            "weights": [float(x) for x in self.weights],
            "lambda_max": self.lambda_max,
            "ci": self.ci,
            "cr": self.cr,
            "ri": self.ri,
            "ri_table": self.ri_table,
            "most_inconsistent": None
            if self.most_inconsistent is None
            else list(self.most_inconsistent),
            "method": self.method,
            "consistent": self.consistent,
        }


def random_index(n: int, table: str = "saaty") -> float:
    """Random consistency index RI(n) from a named table.

    Examples
    --------
    >>> random_index(4)
    0.9
    >>> random_index(4, "donegan_dodd")
    0.8286
    """
    if table not in RI_TABLES:
        raise WeightModelError(f"unknown RI table {table!r}; choose one of {sorted(RI_TABLES)}")
    tab = RI_TABLES[table]
    if n in tab:
        return tab[n]
    sizes = sorted(tab)
    if n < 1 or n > sizes[-1]:
        raise WeightModelError(
            f"the {table!r} RI table covers n = 1..{sizes[-1]}; a {n}×{n} matrix needs another "
            "table (e.g. 'donegan_dodd' up to 100) or a smaller hierarchy level"
        )
    k = bisect.bisect_left(sizes, n)
    lo, hi = sizes[k - 1], sizes[k]
    return tab[lo] + (tab[hi] - tab[lo]) * (n - lo) / (hi - lo)


def _validate(
    matrix: ArrayLike, *, rtol: float, labels: Sequence[str] | None, who: str = ""
) -> tuple[FloatArray, list[str]]:
    prefix = f"{who}: " if who else ""
    try:
        A = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise WeightModelError(f"{prefix}the comparison matrix must be numeric: {exc}") from None
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise WeightModelError(f"{prefix}the comparison matrix must be square; got {A.shape}")
    n = A.shape[0]
    labs = labels_or_index(labels, n)
    bad = ~np.isfinite(A) | (A <= 0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise WeightModelError(
            f"{prefix}judgement a[{labs[i]}, {labs[j]}] = {A[i, j]:g} must be a positive number "
            "(Saaty scale 1/9..9)"
        )
    diag = np.abs(np.diag(A) - 1.0) > rtol
    if diag.any():
        i = int(np.argmax(diag))
        raise WeightModelError(f"{prefix}diagonal a[{labs[i]}, {labs[i]}] = {A[i, i]:g} must be 1")
    dev = np.abs(A * A.T - 1.0)
    if (dev > rtol).any():
        i, j = np.unravel_index(int(np.argmax(np.triu(dev, 1))), dev.shape)
        raise WeightModelError(
            f"{prefix}matrix is not reciprocal: a[{labs[i]}, {labs[j]}] = {A[i, j]:g} but "
            f"a[{labs[j]}, {labs[i]}] = {A[j, i]:g} (expected {1 / A[i, j]:.4g})"
        )
    return A, labs


def _most_inconsistent(A: FloatArray, w: FloatArray) -> tuple[int, int, float, float] | None:
    n = A.shape[0]
    if n <= 2:
        return None
    implied = w[:, None] / w[None, :]
    dev = np.abs(np.log(A / implied))
    iu = np.triu_indices(n, 1)
    k = int(np.argmax(dev[iu]))
    i, j = int(iu[0][k]), int(iu[1][k])
    target = implied[i, j]
    suggested = float(SAATY_SCALE[np.argmin(np.abs(np.log(SAATY_SCALE / target)))])
    return i, j, float(A[i, j]), suggested


def _fmt_judgement(v: float) -> str:
    if v >= 0.995:
        return f"{v:.3g}"
    return f"1/{1 / v:.3g}"


def _finish(
    A: FloatArray,
    w: FloatArray,
    lam: float,
    *,
    ri_table: str,
    max_cr: float,
    accept_inconsistent: bool,
    labels: list[str],
    method: str,
) -> AHPResult:
    n = A.shape[0]
    ri = random_index(n, ri_table)
    if n <= 2:
        ci, cr = 0.0, 0.0
    else:
        ci = max((lam - n) / (n - 1), 0.0)
        cr = ci / ri
    worst = _most_inconsistent(A, w)
    consistent = cr < max_cr
    if not consistent and not accept_inconsistent:
        assert worst is not None
        i, j, val, sug = worst
        raise InconsistentJudgementsError(
            f"AHP judgements are inconsistent: CR = {cr:.4f} ≥ {max_cr:g} "
            f"(λ_max = {lam:.4f}, RI({n}) = {ri:g}, table {ri_table!r}). Most inconsistent "
            f"judgement: a[{labels[i]}, {labels[j]}] = {_fmt_judgement(val)}; the other "
            f"judgements imply about {_fmt_judgement(float(w[i] / w[j]))}, consider "
            f"{_fmt_judgement(sug)}. Pass accept_inconsistent=True to use the weights anyway."
        )
    return AHPResult(
        weights=w,
        lambda_max=float(lam),
        ci=float(ci),
        cr=float(cr),
        ri=float(ri),
        ri_table=ri_table,
        most_inconsistent=worst,
        method=method,
        consistent=bool(consistent),
    )


def _check_options(ri_table: str, max_cr: float) -> None:
    if ri_table not in RI_TABLES:
        raise WeightModelError(f"unknown RI table {ri_table!r}; choose one of {sorted(RI_TABLES)}")
    if not (0 < max_cr <= 1):
        raise WeightModelError(f"max_cr must be in (0, 1]; got {max_cr}")


def ahp_weights(
    matrix: ArrayLike,
    *,
    ri_table: str = "saaty",
    max_cr: float = 0.1,
    accept_inconsistent: bool = False,
    labels: Sequence[str] | None = None,
    rtol: float = 0.02,
) -> AHPResult:
    """AHP weights from a reciprocal pairwise comparison matrix (principal eigenvector).

    Parameters
    ----------
    matrix : array_like (n, n)
        ``a_ij`` = how much more important criterion i is than j (Saaty 1–9 scale), positive,
        ``a_ii = 1`` and ``a_ji = 1/a_ij`` within relative tolerance ``rtol`` (so 0.33 for 1/3
        is accepted).
    ri_table : {"saaty", "saaty2005", "donegan_dodd"}
        Random-index table for ``CR = CI / RI(n)``; stored with the result.
    max_cr : float
        Judgements with ``CR ≥ max_cr`` raise :class:`InconsistentJudgementsError`, which names
        the most inconsistent judgement, unless ``accept_inconsistent=True``.
    labels : sequence of str, optional
        Criterion codes used in error messages.

    Returns
    -------
    AHPResult

    Examples
    --------
    >>> r = ahp_weights([[1, 2, 4], [1/2, 1, 2], [1/4, 1/2, 1]])
    >>> r.weights.round(4).tolist(), round(r.cr, 6)
    ([0.5714, 0.2857, 0.1429], 0.0)
    """
    _check_options(ri_table, max_cr)
    A, labs = _validate(matrix, rtol=rtol, labels=labels)
    n = A.shape[0]
    if n == 1:
        w = np.ones(1)
        lam = 1.0
    else:
        vals, vecs = np.linalg.eig(A)
        k = int(np.argmax(vals.real))
        lam = float(vals[k].real)
        v = np.abs(vecs[:, k].real)
        w = v / v.sum()
    return _finish(
        A, w, lam, ri_table=ri_table, max_cr=max_cr,
        accept_inconsistent=accept_inconsistent, labels=labs, method="eigenvector",
    )  # fmt: skip


def ahp_column_average(
    matrix: ArrayLike,
    *,
    ri_table: str = "saaty",
    max_cr: float = 0.1,
    accept_inconsistent: bool = False,
    labels: Sequence[str] | None = None,
    rtol: float = 0.02,
) -> AHPResult:
    """AHP weights by the column-normalisation shortcut (not the default).

    Each column is divided by its sum and the rows are averaged; ``λ_max`` is estimated as
    ``mean_i (A w)_i / w_i``. Identical to :func:`ahp_weights` on consistent matrices; on
    inconsistent ones the weights differ noticeably, so the method is stored with the result.

    Examples
    --------
    >>> ahp_column_average([[1, 2, 4], [1/2, 1, 2], [1/4, 1/2, 1]]).weights.round(4).tolist()
    [0.5714, 0.2857, 0.1429]
    """
    _check_options(ri_table, max_cr)
    A, labs = _validate(matrix, rtol=rtol, labels=labels)
    w = (A / A.sum(axis=0, keepdims=True)).mean(axis=1)
    w = w / w.sum()
    lam = float(np.mean((A @ w) / w))
    return _finish(
        A, w, lam, ri_table=ri_table, max_cr=max_cr,
        accept_inconsistent=accept_inconsistent, labels=labs, method="column_average",
    )  # fmt: skip


def group_ahp(
    matrices: Sequence[ArrayLike],
    *,
    weights: ArrayLike | None = None,
    ri_table: str = "saaty",
    max_cr: float = 0.1,
    accept_inconsistent: bool = False,
    labels: Sequence[str] | None = None,
    rtol: float = 0.02,
) -> AHPResult:
    """Group AHP: element-wise (weighted) geometric mean of the experts' matrices, then AHP.

    The geometric mean keeps reciprocity (Aczél & Saaty 1983). ``weights`` are the experts'
    relative weights (default equal). Consistency is checked on the aggregated matrix.

    Examples
    --------
    >>> a = [[1, 2], [1/2, 1]]
    >>> b = [[1, 8], [1/8, 1]]
    >>> group_ahp([a, b]).weights.round(4).tolist()   # geometric mean judgement = 4
    [0.8, 0.2]
    """
    mats = list(matrices)
    if not mats:
        raise WeightModelError("group_ahp needs at least one comparison matrix")
    checked = [
        _validate(m, rtol=rtol, labels=labels, who=f"expert {e}")[0] for e, m in enumerate(mats)
    ]
    shapes = {m.shape for m in checked}
    if len(shapes) != 1:
        raise WeightModelError(f"experts' matrices differ in size: {sorted(shapes)}")
    if weights is None:
        ew = np.full(len(checked), 1.0 / len(checked))
    else:
        ew = np.asarray(weights, dtype=np.float64).ravel()
        if ew.size != len(checked) or not np.isfinite(ew).all() or (ew < 0).any():
            raise WeightModelError(
                f"expert weights must be {len(checked)} non-negative numbers; got {weights!r}"
            )
        if ew.sum() <= 0:
            raise WeightModelError("expert weights are all zero")
        ew = ew / ew.sum()
    logs = np.stack([np.log(m) for m in checked])
    G = np.exp(np.tensordot(ew, logs, axes=1))
    return ahp_weights(
        G, ri_table=ri_table, max_cr=max_cr, accept_inconsistent=accept_inconsistent,
        labels=labels, rtol=rtol,
    )  # fmt: skip
