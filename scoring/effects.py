"""Did an action work? Difference-in-differences of a sub-dimension score, with a bootstrap.

For a treated community ``T`` (an action on sub-dimension ``s`` completed between wave 0 and
wave 1) and comparison communities ``k = 1..K`` without an action on ``s``::

    Δ_c = ȳ_c1 − ȳ_c0                      (change of the mean respondent score of s)
    DiD = Δ_T − (1/K) Σ_k Δ_k              (each comparison community counts once)

``ȳ_cw`` is the mean over respondents of community ``c`` in wave ``w`` of their 0–100 score
on ``s`` (NaN = no answer, left out). The interval is a percentile bootstrap: respondents are
resampled with replacement within every (community, wave) cell, ``DiD`` is recomputed, and
the ``(1 ± level)/2`` quantiles of the replicates are the interval; the SE is the replicates'
standard deviation. Optionally (``heterogeneity=True``) the between-community spread of the
comparison changes that sampling does not explain, ``τ² = max(0, var_k(Δ_k) − mean_k se²_k)``,
is added to the variance (a community's own trend differs from the group mean even without
sampling error); the interval is then ``DiD ± z·√(se²_boot + τ²)``.

Labels are *not* made here: :func:`effect_report` hands the estimates and SEs of every action
of a report to :func:`scoring.change.change_report`, the same rule (and the same joint
Benjamini–Hochberg family) as the trends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from scoring.change import ChangeReport, change_report
from scoring.errors import ScoringError
from scoring.rescale import rescale_items

__all__ = [
    "Effect",
    "comparison_group",
    "did_effect",
    "did_point",
    "effect_report",
    "respondent_subscores",
]

RANDOM_STATE = 20260515
Cell = tuple[ArrayLike, ArrayLike]  # (scores in the wave before, scores in the wave after)


@dataclass(frozen=True)
class Effect:
    """One action's estimated effect (0–100 points of the sub-dimension).

    ``estimate`` is NaN (and the interval too) when the treated community or every comparison
    community lacks answers in a wave; ``small_sample`` says the treated community had fewer
    than ``min_n`` scored respondents in either wave (the label is then 无法判断).
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    level: float
    treated_change: float
    comparison_change: float
    n_treated: tuple[int, int]
    n_comparison: int  # comparison communities used
    heterogeneity: float  # τ (0 when not asked for or not estimable)
    small_sample: bool


def _clean(values: ArrayLike) -> NDArray[np.float64]:
    x = np.asarray(values, dtype=np.float64).ravel()
    return x[np.isfinite(x)]


def _change(before: NDArray[np.float64], after: NDArray[np.float64]) -> float:
    if before.size == 0 or after.size == 0:
        return float("nan")
    return float(after.mean() - before.mean())


def did_point(treated: Cell, comparisons: Sequence[Cell]) -> float:
    """The DiD point estimate (NaN when it cannot be formed).

    Examples
    --------
    >>> did_point(([60, 62], [70, 72]), [([50, 50], [52, 52]), ([40], [44])])
    7.0
    """
    t = _change(_clean(treated[0]), _clean(treated[1]))
    changes = [_change(_clean(b), _clean(a)) for b, a in comparisons]
    changes = [c for c in changes if np.isfinite(c)]
    if not np.isfinite(t) or not changes:
        return float("nan")
    return float(t - np.mean(changes))


def _boot_means(
    x: NDArray[np.float64], n_boot: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    idx = rng.integers(0, x.size, size=(n_boot, x.size))
    return np.asarray(x[idx].mean(axis=1))


def did_effect(
    treated: Cell,
    comparisons: Sequence[Cell],
    *,
    n_boot: int = 1000,
    level: float = 0.90,
    min_n: int = 30,
    heterogeneity: bool = False,
    random_state: int | np.random.Generator = RANDOM_STATE,
) -> Effect:
    """Estimate one action's effect with a respondent bootstrap.

    Parameters
    ----------
    treated : (before, after)
        Respondents' 0–100 scores of the linked sub-dimension in the treated community, in
        the wave before completion and the next wave (NaN entries are ignored).
    comparisons : sequence of (before, after)
        The same for each comparison community; a community lacking answers in a wave is
        left out.
    n_boot : int
        Bootstrap replicates (≥ 50).
    level : float
        Interval level in (0, 1).
    min_n : int
        Fewer scored respondents than this in either wave of the treated community flags
        ``small_sample``.
    heterogeneity : bool
        Add the unexplained between-community variance of comparison changes (module doc).
    random_state : int or Generator
        Seed of the resampling: the same inputs and seed give the same interval.

    Examples
    --------
    >>> e = did_effect(([60.0] * 40, [70.0] * 40), [([50.0] * 40, [52.0] * 40)])
    >>> e.estimate, e.se, (e.ci_low, e.ci_high), e.small_sample
    (8.0, 0.0, (8.0, 8.0), False)
    """
    if n_boot < 50:
        raise ScoringError(f"n_boot must be at least 50; got {n_boot}")
    if not (0 < level < 1):
        raise ScoringError(f"level must be in (0, 1); got {level}")
    rng = np.random.default_rng(random_state)
    t0, t1 = _clean(treated[0]), _clean(treated[1])
    cells = [(_clean(b), _clean(a)) for b, a in comparisons]
    cells = [(b, a) for b, a in cells if b.size and a.size]
    small = bool(min(t0.size, t1.size) < min_n)
    t_change = _change(t0, t1)
    nan = float("nan")
    if not np.isfinite(t_change) or not cells:
        return Effect(
            nan, nan, nan, nan, level, t_change, nan, (t0.size, t1.size), len(cells), 0.0, small
        )
    changes = np.array([a.mean() - b.mean() for b, a in cells])
    estimate = float(t_change - changes.mean())
    boot_t = _boot_means(t1, n_boot, rng) - _boot_means(t0, n_boot, rng)
    boot_k = np.mean(
        [_boot_means(a, n_boot, rng) - _boot_means(b, n_boot, rng) for b, a in cells], axis=0
    )
    replicates = boot_t - boot_k
    se_boot = float(replicates.std(ddof=1))
    tau = 0.0
    if heterogeneity and len(cells) >= 3:
        sampling = np.mean(
            [
                b.var(ddof=1) / b.size + a.var(ddof=1) / a.size
                for b, a in cells
                if b.size > 1 and a.size > 1
            ]
            or [0.0]
        )
        tau = float(np.sqrt(max(0.0, float(changes.var(ddof=1)) - float(sampling))))
    if tau > 0:
        se = float(np.hypot(se_boot, tau))
        z = float(stats.norm.ppf(0.5 + level / 2))
        low, high = estimate - z * se, estimate + z * se
    else:
        se = se_boot
        low, high = (float(v) for v in np.quantile(replicates, [(1 - level) / 2, (1 + level) / 2]))
    return Effect(
        estimate=estimate,
        se=se,
        ci_low=float(low),
        ci_high=float(high),
        level=float(level),
        treated_change=t_change,
        comparison_change=float(changes.mean()),
        n_treated=(int(t0.size), int(t1.size)),
        n_comparison=len(cells),
        heterogeneity=tau,
        small_sample=small,
    )


def comparison_group(
    target: int,
    street: ArrayLike,
    housing: ArrayLike,
    eligible: ArrayLike,
    *,
    min_size: int = 3,
) -> tuple[NDArray[np.int64], str]:
    """Comparison communities for ``target``: eligible ones of its street, or else of its
    housing type (anywhere in the district) when the street has fewer than ``min_size``.

    ``eligible[c]`` is False for communities with an action on the same sub-dimension (and
    for those without data); ``target`` itself is never chosen. Returns the indices and the
    basis ``"street"``, ``"housing_type"`` or ``"none"`` (no comparison community at all).

    >>> comparison_group(0, [0, 0, 0, 1, 1], ["a", "b", "a", "a", "a"], [True] * 5, min_size=2)
    (array([1, 2]), 'street')
    >>> comparison_group(0, [0, 0, 1, 1, 1], ["a", "b", "a", "a", "b"], [True] * 5, min_size=2)
    (array([2, 3]), 'housing_type')
    """
    s = np.asarray(street)
    h = np.asarray(housing)
    ok = np.asarray(eligible, dtype=bool).copy()
    if not (s.shape == h.shape == ok.shape) or not (0 <= target < s.size):
        raise ScoringError("street, housing and eligible must have one entry per community")
    ok[target] = False
    same_street = np.flatnonzero(ok & (s == s[target]))
    if same_street.size >= min_size:
        return same_street.astype(np.int64), "street"
    same_type = np.flatnonzero(ok & (h == h[target]))
    if same_type.size >= min_size:
        return same_type.astype(np.int64), "housing_type"
    if same_street.size or same_type.size:
        pick = same_street if same_street.size >= same_type.size else same_type
        return pick.astype(np.int64), "street" if pick is same_street else "housing_type"
    return np.zeros(0, dtype=np.int64), "none"


def effect_report(
    effects: Sequence[Effect], *, fdr: float = 0.10, min_change: float = 0.0
) -> ChangeReport:
    """Label every effect of a report with the trends' change rule (one BH family).

    A small treated sample makes the cell undetermined (``small_sample``), as in the trends.
    """
    delta = np.array([e.estimate for e in effects], dtype=np.float64)
    se = np.array([e.se for e in effects], dtype=np.float64)
    small = np.array([e.small_sample for e in effects], dtype=bool)
    return change_report(delta, se, small_sample=small, fdr=fdr, min_change=min_change)


def respondent_subscores(
    X: ArrayLike,
    points: ArrayLike,
    reverse: ArrayLike,
    item_group: ArrayLike,
    n_groups: int,
) -> NDArray[np.float64]:
    """Each respondent's 0–100 score of each sub-dimension: the mean of their answered items
    of it, percent-to-maximum, reverse items keyed back (NaN where none answered).

    Answers outside ``1..k`` (the don't-know code, no answer) count as not answered.

    >>> respondent_subscores([[5, 1, 9], [3, -1, 2]], [5, 5, 5], [False, True, False],
    ...                      [0, 0, 1], 2).round(1).tolist()
    [[100.0, nan], [50.0, 25.0]]
    """
    raw = np.asarray(X, dtype=np.float64)
    k = np.asarray(points, dtype=np.float64)
    group = np.asarray(item_group, dtype=np.int64)
    if raw.ndim != 2 or raw.shape[1] != k.size or group.size != k.size:
        raise ScoringError("X must be (respondents × items) with one points/group per item")
    valid = np.isfinite(raw) & (raw >= 1) & (raw <= k) & (raw == np.round(raw))
    clean = np.where(valid, raw, np.nan)
    scores = rescale_items(clean, k.astype(np.int64), np.asarray(reverse, bool), check=False)
    out = np.full((raw.shape[0], n_groups), np.nan)
    for g in range(n_groups):
        cols = scores[:, group == g]
        if cols.shape[1]:
            answered = np.isfinite(cols).sum(axis=1)
            total = np.nansum(cols, axis=1)
            out[:, g] = np.where(answered > 0, total / np.maximum(answered, 1), np.nan)
    return out
