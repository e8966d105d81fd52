"""Reliability and factorability of item blocks: Cronbach's α, item-total correlations,
α if item deleted, McDonald's ω (one-factor), KMO and Bartlett's sphericity test.

Conventions: rows = respondents, columns = items, NaN = missing (including 不了解/不适用).
Missing values are handled **listwise** by default (rows with any missing item in the block
are dropped, and ``n`` reports how many rows were used); :func:`cronbach_alpha` also offers
``nan_policy="pairwise"`` (covariances over jointly observed rows, as pingouin's default).
Reverse-keyed items must be recoded before (``reliability_report`` can do it).

The statistics live in :mod:`scoring.internal_consistency` (α family) and
:mod:`scoring.factorability` (KMO, Bartlett, ω); this module re-exports them and combines them
per block in :func:`reliability_report`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from scoring.errors import ScoringError
from scoring.factorability import bartlett_sphericity, kmo, mcdonald_omega, one_factor_loadings
from scoring.internal_consistency import (
    AlphaResult,
    alpha_if_deleted,
    cronbach_alpha,
    item_total_correlations,
)
from scoring.weighting._common import as_matrix

__all__ = [
    "AlphaResult",
    "BlockReliability",
    "alpha_if_deleted",
    "bartlett_sphericity",
    "cronbach_alpha",
    "item_total_correlations",
    "kmo",
    "mcdonald_omega",
    "one_factor_loadings",
    "reliability_report",
]

# run the re-exported examples with this module's doctests (``doctest.testmod`` skips objects
# defined elsewhere)
__test__ = {
    f.__name__: f
    for f in (
        cronbach_alpha,
        item_total_correlations,
        alpha_if_deleted,
        kmo,
        bartlett_sphericity,
        one_factor_loadings,
        mcdonald_omega,
    )
}


@dataclass(frozen=True)
class BlockReliability:
    """Reliability of one block (dimension or sub-dimension) of items.

    Statistics that cannot be computed for the block (too few items or rows, zero variance,
    singular correlations) are NaN and the reason is in ``notes``.
    """

    code: str
    items: tuple[str, ...]
    n: int
    alpha: float
    alpha_ci: tuple[float, float]
    omega: float
    item_total: dict[str, float]
    alpha_if_deleted: dict[str, float]
    kmo: float
    kmo_per_item: dict[str, float]
    bartlett_chi2: float
    bartlett_df: int
    bartlett_p: float
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dict (NaN → None)."""

        def f(x: float) -> float | None:
            return None if not np.isfinite(x) else float(x)

        return {
            "code": self.code,
            "items": list(self.items),
            "n": self.n,
            "alpha": f(self.alpha),
            "alpha_ci": [f(self.alpha_ci[0]), f(self.alpha_ci[1])],
            "omega": f(self.omega),
            "item_total": {k: f(v) for k, v in self.item_total.items()},
            "alpha_if_deleted": {k: f(v) for k, v in self.alpha_if_deleted.items()},
            "kmo": f(self.kmo),
            "kmo_per_item": {k: f(v) for k, v in self.kmo_per_item.items()},
            "bartlett_chi2": f(self.bartlett_chi2),
            "bartlett_df": self.bartlett_df,
            "bartlett_p": f(self.bartlett_p),
            "notes": list(self.notes),
        }


def reliability_report(
    X: ArrayLike,
    codes: Sequence[str],
    blocks: Mapping[str, Sequence[str]],
    *,
    reverse: Collection[str] = (),
    points: int = 5,
    ci: float = 0.95,
) -> dict[str, BlockReliability]:
    """Reliability statistics per block of items (e.g. per dimension), listwise within block.

    Parameters
    ----------
    X : array_like (n, p)
        Raw answers, columns named by ``codes``; NaN = missing.
    codes : sequence of str (p,)
    blocks : mapping block code → item codes
    reverse : collection of str
        Reverse-keyed item codes, recoded ``points + 1 − x`` before anything else.
    points : int
        Scale points of the reverse-keyed items.

    Examples
    --------
    >>> X = [[5,4,5,4],[4,4,4,3],[3,3,4,3],[2,2,3,2],[5,5,5,5],[4,3,4,4],[3,2,3,3],
    ...      [1,2,2,1],[4,4,5,4],[2,3,2,2]]
    >>> rep = reliability_report(X, ["a", "b", "c", "d"], {"D1": ["a", "b", "c", "d"]})
    >>> round(rep["D1"].alpha, 4), rep["D1"].n
    (0.9621, 10)
    """
    A = as_matrix(X, allow_nan=True)
    codes = [str(c) for c in codes]
    if len(codes) != A.shape[1]:
        raise ScoringError(f"codes has {len(codes)} entries; X has {A.shape[1]} columns")
    pos = {c: j for j, c in enumerate(codes)}
    missing_rev = [c for c in reverse if c not in pos]
    if missing_rev:
        raise ScoringError(f"reverse-keyed codes not in codes: {missing_rev}")
    A = A.copy()
    for c in reverse:
        A[:, pos[c]] = points + 1 - A[:, pos[c]]
    out: dict[str, BlockReliability] = {}
    for bcode, items in blocks.items():
        unknown = [c for c in items if c not in pos]
        if unknown:
            raise ScoringError(f"block {bcode!r} names unknown item codes {unknown}")
        items_t = tuple(str(c) for c in items)
        B = A[:, [pos[c] for c in items_t]]
        notes: list[str] = []
        n_complete = int((~np.isnan(B).any(axis=1)).sum())
        nan = float("nan")
        alpha, lo, hi, omega, kmo_all, chi2, p = (nan,) * 7
        df = len(items_t) * (len(items_t) - 1) // 2
        itc: dict[str, float] = dict.fromkeys(items_t, nan)
        aid: dict[str, float] = dict.fromkeys(items_t, nan)
        kpi: dict[str, float] = dict.fromkeys(items_t, nan)
        if len(items_t) < 2:
            notes.append("fewer than 2 items: reliability not defined")
        else:
            try:
                ar = cronbach_alpha(B, ci=ci)
                alpha, lo, hi = ar.alpha, ar.ci_low, ar.ci_high
                itc = dict(zip(items_t, item_total_correlations(B).tolist(), strict=True))
                aid = dict(zip(items_t, alpha_if_deleted(B).tolist(), strict=True))
            except ScoringError as exc:
                notes.append(f"alpha: {exc}")
            try:
                kmo_all, per = kmo(B)
                kpi = dict(zip(items_t, per.tolist(), strict=True))
                chi2, df, p = bartlett_sphericity(B)
                omega = mcdonald_omega(B)
            except ScoringError as exc:
                notes.append(f"factorability: {exc}")
        out[bcode] = BlockReliability(
            code=str(bcode),
            items=items_t,
            n=n_complete,
            alpha=alpha,
            alpha_ci=(lo, hi),
            omega=omega,
            item_total=itc,
            alpha_if_deleted=aid,
            kmo=kmo_all,
            kmo_per_item=kpi,
            bartlett_chi2=chi2,
            bartlett_df=df,
            bartlett_p=p,
            notes=tuple(notes),
        )
    return out
