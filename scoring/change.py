"""One change rule for a whole report (issue 12; docs/methods.md "Statistically defensible labels").

Every cell of a report — community × node (overall index and each dimension) — gets a change
``Δ`` with a standard error. A cell is *tested* only when its SE is a finite positive number,
its sample is large enough and the two waves are comparable; it then gets a two-sided normal
p-value ``p = 2 Φ(−|Δ| / SE)``. Benjamini–Hochberg q-values are computed over **all tested
cells of the report jointly** (not per node, not per community), and a tested cell is labelled
``up`` / ``down`` when ``q ≤ fdr`` (default 0.10) and ``|Δ|`` reaches ``min_change``, ``flat``
otherwise. A cell that is not tested is ``undetermined`` with a :class:`Reason`; a missing SE
is never treated as 0 (that would make every missing-SE change "significant").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from scoring.errors import ScoringError

__all__ = [
    "ChangeLabel",
    "ChangeReport",
    "Reason",
    "benjamini_hochberg",
    "change_report",
    "welch_df",
]


def welch_df(se1: ArrayLike, n1: ArrayLike, se2: ArrayLike, n2: ArrayLike) -> NDArray[np.float64]:
    """Welch–Satterthwaite degrees of freedom of ``Δ/√(SE₁² + SE₂²)`` from two independent
    samples of sizes ``n1``, ``n2`` (NaN where a size is below 2 or an SE is missing).

    Examples
    --------
    >>> round(float(welch_df(1.0, 41, 1.0, 41)), 6)  # equal SEs and sizes: n1 + n2 − 2
    80.0
    """
    a = np.asarray(se1, dtype=np.float64) ** 2
    b = np.asarray(se2, dtype=np.float64) ** 2
    m1 = np.asarray(n1, dtype=np.float64) - 1.0
    m2 = np.asarray(n2, dtype=np.float64) - 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        nu = (a + b) ** 2 / (a**2 / m1 + b**2 / m2)
    return np.asarray(np.where((m1 >= 1) & (m2 >= 1) & np.isfinite(nu), nu, np.nan))


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN stays NaN and is not counted.

    Examples
    --------
    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03, np.nan])).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    k = int(ok.sum())
    if k == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv)
    scaled = pv[order] * k / np.arange(1, k + 1)
    # q_(i) = min over j ≥ i of p_(j) k / j, capped at 1.
    q = np.minimum.accumulate(scaled[::-1])[::-1]
    res = np.empty(k)
    res[order] = np.minimum(q, 1.0)
    out[ok] = res
    return out


class ChangeLabel(StrEnum):
    """Label of one cell of a change report."""

    UP = "up"
    DOWN = "down"
    FLAT = "flat"
    UNDETERMINED = "undetermined"


class Reason(StrEnum):
    """Why a cell is ``undetermined`` (``NONE`` for tested cells).

    When several apply, the first in this order is reported: ``NOT_COMPARABLE``,
    ``SMALL_SAMPLE``, ``MISSING_DELTA``, ``MISSING_SE``, ``NONPOSITIVE_SE``.
    """

    NONE = ""
    NOT_COMPARABLE = "not_comparable"  # questionnaire / model changed between the waves
    SMALL_SAMPLE = "small_sample"  # sample too small in either wave
    MISSING_DELTA = "missing_delta"  # Δ is NaN or infinite
    MISSING_SE = "missing_se"  # SE is NaN or infinite
    NONPOSITIVE_SE = "nonpositive_se"  # SE ≤ 0


@dataclass(frozen=True)
class ChangeReport:
    """Labels of every cell of a change report (arrays share the shape of ``delta``).

    Attributes
    ----------
    delta, se : ndarray
        The inputs, as float arrays.
    z, p, q : ndarray
        ``Δ/SE``, two-sided p-value and BH q-value; NaN for untested cells.
    label : ndarray of str
        :class:`ChangeLabel` values.
    reason : ndarray of str
        :class:`Reason` values (``""`` for tested cells).
    fdr : float
        The q threshold used.
    min_change : float
        The practical threshold on ``|Δ|`` (0 = none).
    n_tested : int
        Number of cells in the BH family.
    """

    delta: NDArray[np.float64]
    se: NDArray[np.float64]
    z: NDArray[np.float64]
    p: NDArray[np.float64]
    q: NDArray[np.float64]
    label: NDArray[np.str_]
    reason: NDArray[np.str_]
    fdr: float
    min_change: float
    n_tested: int

    @property
    def tested(self) -> NDArray[np.bool_]:
        """Cells in the BH family."""
        return np.asarray(self.reason == Reason.NONE.value)

    @property
    def significant(self) -> NDArray[np.bool_]:
        """Cells labelled ``up`` or ``down``."""
        return np.isin(self.label, [ChangeLabel.UP.value, ChangeLabel.DOWN.value])


def _flags(value: ArrayLike | None, shape: tuple[int, ...], name: str) -> NDArray[np.bool_]:
    if value is None:
        return np.zeros(shape, dtype=bool)
    arr = np.asarray(value, dtype=bool)
    try:
        return np.broadcast_to(arr, shape).copy()
    except ValueError:
        raise ScoringError(
            f"{name} has shape {arr.shape}; it must broadcast to the shape of delta {shape} "
            "(e.g. one flag per community as shape (m, 1), or one per node as (1, k))"
        ) from None


def change_report(
    delta: ArrayLike,
    se: ArrayLike,
    *,
    small_sample: ArrayLike | None = None,
    not_comparable: ArrayLike | None = None,
    fdr: float = 0.10,
    min_change: float = 0.0,
    df: ArrayLike | None = None,
) -> ChangeReport:
    """Label every cell of a report as up / down / flat / undetermined, with joint BH control.

    Parameters
    ----------
    delta : array_like
        Changes ``Δ = I₂ − I₁``, any shape (usually communities × nodes: overall + dimensions).
    se : array_like
        Their standard errors, same shape; NaN = unknown (the cell becomes undetermined).
    small_sample : array_like of bool, optional
        True where the sample is too small in either wave; broadcast to ``delta``'s shape.
    not_comparable : array_like of bool, optional
        True where the waves are not comparable (questionnaire or model changed for that node);
        broadcast to ``delta``'s shape (a scalar True makes the whole report undetermined).
    fdr : float
        Benjamini–Hochberg level for ``q`` (default 0.10).
    min_change : float
        Optional practical threshold: a significant cell with ``|Δ| < min_change`` is ``flat``.
    df : array_like, optional
        Degrees of freedom of each ``Δ/SE`` (broadcast to ``delta``): the p-value is then
        ``2 t_df.sf(|z|)`` instead of the normal ``2 Φ(−|z|)``. With SEs estimated from a few
        dozen respondents, ``Δ/SE`` is t-like and the normal tail, where BH over hundreds of
        cells decides, is too thin (:func:`welch_df` gives Welch–Satterthwaite df). NaN or
        infinite df: normal.

    Returns
    -------
    ChangeReport

    Examples
    --------
    >>> r = change_report([[4.0, -0.5], [-6.0, 3.0]], [[1.0, 1.0], [2.0, np.nan]])
    >>> r.label.tolist()
    [['up', 'flat'], ['down', 'undetermined']]
    >>> str(r.reason[1, 1]), round(float(r.q[1, 0]), 4)
    ('missing_se', 0.004)
    """
    d = np.asarray(delta, dtype=np.float64)
    s = np.asarray(se, dtype=np.float64)
    if d.shape != s.shape:
        raise ScoringError(f"delta has shape {d.shape} but se has shape {s.shape}")
    if not (np.isfinite(fdr) and 0 < fdr < 1):
        raise ScoringError(f"fdr must be in (0, 1); got {fdr}")
    if not (np.isfinite(min_change) and min_change >= 0):
        raise ScoringError(f"min_change must be a non-negative number; got {min_change}")
    small = _flags(small_sample, d.shape, "small_sample")
    incomparable = _flags(not_comparable, d.shape, "not_comparable")

    reason = np.full(d.shape, Reason.NONE.value, dtype="<U16")
    # assign in reverse priority so the most important reason wins
    reason[s <= 0] = Reason.NONPOSITIVE_SE.value
    reason[~np.isfinite(s)] = Reason.MISSING_SE.value
    reason[~np.isfinite(d)] = Reason.MISSING_DELTA.value
    reason[small] = Reason.SMALL_SAMPLE.value
    reason[incomparable] = Reason.NOT_COMPARABLE.value
    tested = reason == Reason.NONE.value

    z = np.full(d.shape, np.nan)
    p = np.full(d.shape, np.nan)
    z[tested] = d[tested] / s[tested]
    p[tested] = 2.0 * stats.norm.sf(np.abs(z[tested]))
    if df is not None:
        nu = np.broadcast_to(np.asarray(df, dtype=np.float64), d.shape)
        finite = tested & np.isfinite(nu) & (nu > 0)
        p[finite] = 2.0 * stats.t.sf(np.abs(z[finite]), nu[finite])
    q = benjamini_hochberg(p.ravel()).reshape(d.shape)

    label = np.full(d.shape, ChangeLabel.UNDETERMINED.value, dtype="<U12")
    label[tested] = ChangeLabel.FLAT.value
    hit = tested & (np.nan_to_num(q, nan=2.0) <= fdr) & (np.abs(d) >= min_change)
    label[hit & (d > 0)] = ChangeLabel.UP.value
    label[hit & (d < 0)] = ChangeLabel.DOWN.value
    return ChangeReport(
        delta=d,
        se=s,
        z=z,
        p=p,
        q=q,
        label=label,
        reason=reason,
        fdr=float(fdr),
        min_change=float(min_change),
        n_tested=int(tested.sum()),
    )
