"""Comparing two weight models' rankings of the same wave.

Researchers choose between models by how much the ranking moves: the rank shift of each
community and two rank correlations (Spearman's ρ and Kendall's τ-b, from scipy). Only
communities ranked under *both* models enter the correlations; a community suppressed under
either keeps its row, with no shift, so a comparison never hides that it exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from scoring.errors import ScoringError
from scoring.result import WaveResult


def _f(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


@dataclass(frozen=True)
class RankComparison:
    """Rank shifts (``rank_b − rank_a``: positive = worse under model b) and correlations."""

    codes: tuple[str, ...]
    rank_a: np.ndarray
    rank_b: np.ndarray
    score_a: np.ndarray
    score_b: np.ndarray
    shift: np.ndarray
    n_compared: int
    spearman: float
    spearman_p: float
    kendall: float
    kendall_p: float

    @property
    def max_abs_shift(self) -> float:
        ok = np.isfinite(self.shift)
        return float(np.abs(self.shift[ok]).max()) if ok.any() else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (NaN → None), one row per community."""
        return {
            "n_compared": self.n_compared,
            "spearman": _f(self.spearman),
            "spearman_p": _f(self.spearman_p),
            "kendall": _f(self.kendall),
            "kendall_p": _f(self.kendall_p),
            "max_abs_shift": _f(self.max_abs_shift),
            "communities": [
                {
                    "code": c,
                    "rank_a": None if not np.isfinite(ra) else int(ra),
                    "rank_b": None if not np.isfinite(rb) else int(rb),
                    "shift": None if not np.isfinite(s) else int(s),
                    "score_a": _f(sa),
                    "score_b": _f(sb),
                    "score_delta": _f(sb - sa),
                }
                for c, ra, rb, s, sa, sb in zip(
                    self.codes,
                    self.rank_a,
                    self.rank_b,
                    self.shift,
                    self.score_a,
                    self.score_b,
                    strict=True,
                )
            ],
        }


def compare_rankings(
    codes: Sequence[str],
    rank_a: np.ndarray,
    rank_b: np.ndarray,
    score_a: np.ndarray | None = None,
    score_b: np.ndarray | None = None,
) -> RankComparison:
    """Rank shifts and rank correlations of two rankings of the same communities.

    ``rank_*`` are (m,) with NaN for a community that is not ranked (suppressed). The
    correlations are computed on the ranks of the communities ranked under both; with fewer
    than 3 of them they are NaN (scipy would only warn).

    Examples
    --------
    >>> r = compare_rankings(["A", "B", "C", "D"], np.array([1., 2., 3., 4.]),
    ...                      np.array([2., 1., 3., 4.]))
    >>> r.shift.tolist(), round(r.spearman, 3), round(r.kendall, 3)
    ([1.0, -1.0, 0.0, 0.0], 0.8, 0.667)
    """
    codes = tuple(codes)
    ra = np.asarray(rank_a, dtype=float)
    rb = np.asarray(rank_b, dtype=float)
    m = len(codes)
    if ra.shape != (m,) or rb.shape != (m,):
        raise ScoringError(f"ranks must have shape ({m},), got {ra.shape} and {rb.shape}")
    sa = np.full(m, np.nan) if score_a is None else np.asarray(score_a, dtype=float)
    sb = np.full(m, np.nan) if score_b is None else np.asarray(score_b, dtype=float)
    both = np.isfinite(ra) & np.isfinite(rb)
    n = int(both.sum())
    rho = rho_p = tau = tau_p = float("nan")
    # Constant ranks (all tied) have no correlation; scipy would warn and return NaN.
    if n >= 3 and np.ptp(ra[both]) > 0 and np.ptp(rb[both]) > 0:
        sp = stats.spearmanr(ra[both], rb[both])
        kt = stats.kendalltau(ra[both], rb[both])
        rho, rho_p = float(sp.statistic), float(sp.pvalue)
        tau, tau_p = float(kt.statistic), float(kt.pvalue)
    shift = np.where(both, rb - ra, np.nan)
    return RankComparison(codes, ra, rb, sa, sb, shift, n, rho, rho_p, tau, tau_p)


def compare_results(a: WaveResult, b: WaveResult) -> RankComparison:
    """:func:`compare_rankings` of two results of the same wave (communities matched by code).

    Examples
    --------
    >>> cmp = compare_results(result_equal, result_expert)  # doctest: +SKIP
    >>> cmp.spearman  # doctest: +SKIP
    """
    pos_b = {c: i for i, c in enumerate(b.community_codes)}
    missing = [c for c in a.community_codes if c not in pos_b]
    if missing or len(pos_b) != a.m:
        raise ScoringError("the two results cover different communities: compare one wave only")
    idx = np.array([pos_b[c] for c in a.community_codes], dtype=np.intp)
    return compare_rankings(a.community_codes, a.rank, b.rank[idx], a.index, b.index[idx])
