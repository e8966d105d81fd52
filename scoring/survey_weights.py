"""Survey weights: raking (IPF) to population margins, trimming, Kish design effect.

Choice (METHODS.md §2): we rake each community to the *marginal* distributions of the weighting
variables (age band, gender), not to the joint age × gender cells. With ~300 respondents spread
over 10 cells, some joint cells are empty or tiny in many communities; post-stratifying to them
either fails or produces extreme weights, whereas the marginals are almost always covered. The
joint margins are still the input (they are what population registers give), and a 1-variable
``margin_shape`` turns this into plain post-stratification when that is wanted.

All communities are raked at once: every update is a ``bincount`` over (community, category)
keys, so the only Python loop is over IPF iterations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.errors import ScoringError


@dataclass(frozen=True)
class RakingResult:
    """Weights (mean 1 within each community) and per-community diagnostics."""

    weights: np.ndarray
    converged: np.ndarray
    iterations: int
    max_error: np.ndarray
    uncovered_categories: np.ndarray
    trimmed: np.ndarray
    deff: np.ndarray
    n_eff: np.ndarray


def kish(weights: np.ndarray, group: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Kish design effect ``n Σw² / (Σw)²`` and effective n ``(Σw)² / Σw²`` per community.

    Examples
    --------
    >>> deff, n_eff = kish(np.array([1.0, 1.0, 2.0, 2.0]), np.array([0, 0, 1, 1]), 2)
    >>> deff.tolist(), n_eff.tolist()
    ([1.0, 1.0], [2.0, 2.0])
    >>> kish(np.array([1.0, 3.0]), np.array([0, 0]), 1)[0].round(3).tolist()
    [1.25]
    """
    n = np.bincount(group, minlength=m).astype(float)
    s1 = np.bincount(group, weights, minlength=m)
    s2 = np.bincount(group, weights * weights, minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        return n * s2 / (s1 * s1), s1 * s1 / s2


def _category_codes(strata: np.ndarray, shape: tuple[int, ...]) -> list[np.ndarray]:
    # Coordinates of each row's cell along each weighting variable (C order, as documented
    # in SurveyData.margin_shape); unknown cells (−1) get −1 everywhere.
    known = strata >= 0
    coords = np.unravel_index(np.where(known, strata, 0), shape)
    return [np.where(known, c, -1) for c in coords]


def _targets(margins: np.ndarray, shape: tuple[int, ...]) -> list[np.ndarray]:
    m = margins.shape[0]
    joint = margins.reshape((m, *shape))
    out = []
    for axis in range(len(shape)):
        other = tuple(a + 1 for a in range(len(shape)) if a != axis)
        out.append(joint.sum(axis=other) if other else joint)
    return out


def rake(
    group: np.ndarray,
    strata: np.ndarray,
    margins: np.ndarray,
    shape: tuple[int, ...] | None = None,
    *,
    base_weights: np.ndarray | None = None,
    trim: tuple[float, float] | None = (0.3, 3.0),
    tol: float = 1e-6,
    max_iter: int = 100,
    trim_rounds: int = 10,
) -> RakingResult:
    """Rake every community's respondents to its population margins.

    Parameters
    ----------
    group : int array (n,), community of each row.
    strata : int array (n,), weighting cell (index into ``margins``' columns), −1 unknown.
        Rows with an unknown cell keep weight 1 (the community mean) and are not raked.
    margins : array (m, cells), population counts; a community whose margins sum to zero is
        left unweighted.
    shape : the cells as a product of variables (default ``(cells,)``).
    base_weights : starting weights (default 1).
    trim : bounds as multiples of the community's mean weight; after trimming the weights are
        raked again, up to ``trim_rounds`` times. ``None`` disables trimming.
    tol : convergence on the largest relative gap ``|Σw / target − 1|`` over covered categories.

    Returns
    -------
    RakingResult
        Weights normalised to mean 1 within each community, ``converged`` (m,), the gap, the
        number of population categories with no respondent (their share is spread over the
        others), the count of trimmed rows, and Kish ``deff``/``n_eff``.

    Examples
    --------
    >>> r = rake(np.array([0, 0, 0, 0]), np.array([0, 0, 0, 1]), np.array([[50.0, 50.0]]))
    >>> r.weights.round(3).tolist()
    [0.667, 0.667, 0.667, 2.0]
    """
    group = np.asarray(group)
    strata = np.asarray(strata)
    margins = np.asarray(margins, dtype=float)
    m, cells = margins.shape
    shape = (cells,) if shape is None else tuple(shape)
    if int(np.prod(shape)) != cells:
        raise ScoringError(f"shape {shape} does not have {cells} cells")
    n = group.shape[0]
    w = np.ones(n) if base_weights is None else np.asarray(base_weights, dtype=float).copy()
    raked = (strata >= 0) & (margins.sum(axis=1) > 0)[group]

    coords = _category_codes(strata, shape)
    keys = []
    shares = []
    uncovered = np.zeros(m, dtype=np.int64)
    for coord, target, size in zip(coords, _targets(margins, shape), shape, strict=True):
        key = np.where(raked, group * size + coord, m * size)  # last slot collects the rest
        present = np.bincount(key, minlength=m * size + 1)[:-1].reshape(m, size) > 0
        uncovered += ((target > 0) & ~present).sum(axis=1)
        # Spread an uncovered category's share over the covered ones: the alternative (leaving
        # the target unreachable) would never converge and would say nothing useful.
        t = np.where(present, target, 0.0)
        tot = t.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares.append(np.where(tot > 0, t / tot, 0.0).ravel())
        keys.append(key)

    n_raked = np.bincount(group[raked], minlength=m).astype(float)
    lo, hi = trim if trim is not None else (0.0, np.inf)
    iterations = 0
    err = np.zeros(m)
    trimmed = np.zeros(m, dtype=np.int64)
    for _round in range(trim_rounds + 1):
        for _ in range(max_iter):
            iterations += 1
            for key, share, size in zip(keys, shares, shape, strict=True):
                target = share * np.repeat(n_raked, size)
                current = np.bincount(key, w, minlength=m * size + 1)[:-1]
                with np.errstate(invalid="ignore", divide="ignore"):
                    factor = np.where(current > 0, target / current, 1.0)
                # Rows outside the raking sit in the last slot, whose factor is 1 (w × 1 = w).
                w = w * np.append(factor, 1.0)[key]
            err = _gap(w, keys, shares, shape, n_raked, m)
            if np.all(err < tol):
                break
        if trim is None:
            break
        w, clipped = _trim(w, group, raked, m, lo, hi)
        if not clipped.any():
            break
        trimmed += np.bincount(group[clipped], minlength=m)
        if _round == trim_rounds:
            break  # bounds win over margins; the gap is reported as not converged
    err = _gap(w, keys, shares, shape, n_raked, m)
    # Mean 1 within each community, for raked rows and (separately) for the rest, which keep
    # their base weights: unknown cells, or communities without margins.
    mean_r = _group_mean(w, group, raked, m)
    mean_u = _group_mean(w, group, ~raked, m)
    w = w / np.where(raked, mean_r[group], mean_u[group])
    deff, n_eff = kish(w, group, m)
    return RakingResult(w, err <= tol, iterations, err, uncovered, trimmed, deff, n_eff)


def _trim(
    w: np.ndarray, group: np.ndarray, raked: np.ndarray, m: int, lo: float, hi: float
) -> tuple[np.ndarray, np.ndarray]:
    # Clip to [lo, hi] × the community mean. Clipping moves the mean, so repeat until the
    # weights sit within the bounds of their own mean (a few passes in practice).
    clipped = np.zeros(w.shape, dtype=bool)
    for _ in range(100):
        mean_w = _group_mean(w, group, raked, m)[group]
        out = raked & ((w < lo * mean_w * (1 - 1e-9)) | (w > hi * mean_w * (1 + 1e-9)))
        if not out.any():
            break
        clipped |= out
        w = np.where(raked, np.clip(w, lo * mean_w, hi * mean_w), w)
    return w, clipped


def _group_mean(w: np.ndarray, group: np.ndarray, mask: np.ndarray, m: int) -> np.ndarray:
    cnt = np.bincount(group[mask], minlength=m)
    tot = np.bincount(group[mask], w[mask], minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / cnt, 1.0)


def _gap(
    w: np.ndarray,
    keys: list[np.ndarray],
    shares: list[np.ndarray],
    shape: tuple[int, ...],
    n_raked: np.ndarray,
    m: int,
) -> np.ndarray:
    # Relative gap per community, over categories with a positive target.
    err = np.zeros(m)
    for key, share, size in zip(keys, shares, shape, strict=True):
        target = share * np.repeat(n_raked, size)
        current = np.bincount(key, w, minlength=m * size + 1)[:-1]
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(target > 0, np.abs(current / target - 1.0), 0.0)
        err = np.maximum(err, rel.reshape(m, size).max(axis=1))
    return err


@dataclass(frozen=True)
class Calibration:
    """What :func:`rake` was given, so that the bootstrap can rake every replicate again
    (:func:`scoring.bootstrap.bootstrap`, ``calibration=``): cells, margins, base weights and
    the raking settings."""

    strata: np.ndarray
    margins: np.ndarray
    shape: tuple[int, ...] | None = None
    base_weights: np.ndarray | None = None
    trim: tuple[float, float] | None = (0.3, 3.0)
    tol: float = 1e-6
    max_iter: int = 100
    trim_rounds: int = 10

    def raked_rows(self, group: np.ndarray) -> np.ndarray:
        """Rows that :func:`rake` rakes: a known cell in a community with margins."""
        margins = np.asarray(self.margins, dtype=float)
        return (np.asarray(self.strata) >= 0) & (margins.sum(axis=1) > 0)[group]


def rake_cells(
    counts: np.ndarray,
    totals: np.ndarray,
    margins: np.ndarray,
    shape: tuple[int, ...] | None = None,
    *,
    trim: tuple[float, float] | None = (0.3, 3.0),
    tol: float = 1e-6,
    max_iter: int = 100,
    trim_rounds: int = 10,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`rake` on cell tables: the factor of every weighting cell, for a batch of tables.

    Within a community raking multiplies each row's base weight by a factor that depends only
    on the row's cell (every IPF step multiplies a whole category), so a raking is determined
    by two tables per community: ``counts`` (rows per cell, or a bootstrap replicate's summed
    multipliers) and ``totals`` (their summed base weights). The bootstrap rakes thousands of
    replicate tables at once this way (``scoring.bootstrap``).

    Parameters
    ----------
    counts, totals : arrays (..., cells), any leading batch axes.
    margins : population counts, broadcastable to ``counts``; a table whose margins sum to 0
        is not raked (factor 1).
    shape, trim, tol, max_iter, trim_rounds : as in :func:`rake` (same loop: IPF to ``tol``,
        trim to ``trim`` × the mean weight, rake again, up to ``trim_rounds`` times).
    start : factors to start from (broadcastable to ``counts``; default 1, as :func:`rake`).
        Where trimming and margins conflict (bounds win) the result depends on the start, so
        the bootstrap starts from 1 (a warm start from the point estimate saved no time).

    Returns
    -------
    (factors, converged)
        ``factors`` (..., cells): a row of cell s gets ``base × factors[s]``, mean 1 over the
        table's rows; ``converged`` (...,) bool.

    Trimming clips the cell's weight per row, ``factor × totals / counts``. With base weights
    equal within cells (or none) that is every row's weight and the result equals
    :func:`rake`'s (test: ``tests/scoring/test_calibrated_bootstrap.py``); with unequal base
    weights in a cell whose weights hit a bound, :func:`rake` clips rows one by one whereas
    this clips the cell's mean weight. Without trimming both agree for any base weights.
    Converged tables stop iterating (``rake`` iterates all communities until the last
    converges), so results differ from ``rake`` by less than ``tol``.

    Examples
    --------
    >>> f, ok = rake_cells(np.array([3.0, 1.0]), np.array([3.0, 1.0]), np.array([50.0, 50.0]))
    >>> f.round(3).tolist(), bool(ok)
    ([0.667, 2.0], True)
    """
    N = np.asarray(counts, dtype=float)
    lead, cells = N.shape[:-1], N.shape[-1]
    shape = (cells,) if shape is None else tuple(shape)
    if int(np.prod(shape)) != cells:
        raise ScoringError(f"shape {shape} does not have {cells} cells")
    t = int(np.prod(lead))
    N = N.reshape(t, cells)
    T0 = np.asarray(totals, dtype=float).reshape(t, cells)
    M = np.broadcast_to(np.asarray(margins, dtype=float), (*lead, cells)).reshape(t, cells)
    # Tables stay flat (t, cells); E[a] (cells, categories of variable a) is the indicator of
    # each cell's category, so a marginal is ``W @ E[a]`` and a category factor goes back to
    # the cells as ``f @ E[a].T``: small BLAS products instead of strided reductions.
    codes = [c.ravel() for c in np.indices(shape)]
    E = [np.eye(size)[code] for code, size in zip(codes, shape, strict=True)]

    n_raked = N.sum(axis=1)
    raked = (M.sum(axis=1) > 0) & (n_raked > 0)
    targets = []
    for Ea in E:
        tm = np.where(N @ Ea > 0, M @ Ea, 0.0)  # a category without rows gets no share
        tot = tm.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            targets.append(np.where(tot > 0, tm / tot, 0.0) * n_raked[:, None])

    if start is None:
        F = np.ones_like(N)
    else:
        F = np.broadcast_to(np.asarray(start, dtype=float), (*lead, cells)).reshape(t, cells)
    F = np.where(T0 > 0, F, 1.0)
    lo, hi = trim if trim is not None else (0.0, np.inf)
    err = np.zeros(t)
    alive = np.flatnonzero(raked)
    for _round in range(trim_rounds + 1):
        err[alive] = _ipf(F, T0, targets, alive, tol, max_iter, E)
        if trim is None or alive.size == 0:
            break
        F, clipped = _trim_cells(F, N, T0, n_raked, alive, lo, hi)
        # As rake: rake again what was clipped (and what had not converged, which rake keeps
        # iterating while any community is clipped); the others have not moved.
        again = clipped | (err[alive] >= tol)
        if not clipped.any() or _round == trim_rounds:
            break  # bounds win over margins in the last round
        alive = alive[again]
    W = F * T0
    err = np.where(raked, _cell_gap(W, targets, E), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_r = W.sum(axis=1) / n_raked
        factors = np.where(raked[:, None], F / mean_r[:, None], 1.0)
    return factors.reshape(*lead, cells), (err <= tol).reshape(lead)


def _ipf(
    F: np.ndarray,
    T0: np.ndarray,
    targets: list[np.ndarray],
    tables: np.ndarray,
    tol: float,
    max_iter: int,
    E: list[np.ndarray],
) -> np.ndarray:
    # IPF sweeps on F[tables] in place; a table leaves the sweeps once its gap (checked before
    # each sweep, i.e. after the previous one, as rake checks) is below tol. Returns the gaps.
    err = np.zeros(tables.size)
    pos = np.arange(tables.size)
    Fa, Ta = F[tables], T0[tables]
    tg = [x[tables] for x in targets]
    occupied = Ta > 0
    for it in range(max_iter + 1):
        W = Fa * Ta
        cur0 = W @ E[0]
        if it > 0 and len(E) == 2:
            # after a sweep the last variable's margins are exact: the gap is the first's
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.where(tg[0] > 0, np.abs(cur0 / tg[0] - 1.0), 0.0)
            gap = rel.max(axis=1)
        else:
            gap = _cell_gap(W, tg, E)
        err[pos] = gap
        if it > 0:  # rake sweeps at least once
            go = gap >= tol
            if not go.all():
                F[tables[pos[~go]]] = Fa[~go]
                pos, Fa, Ta, cur0 = pos[go], Fa[go], Ta[go], cur0[go]
                occupied = occupied[go]
                tg = [x[go] for x in tg]
            if pos.size == 0 or it == max_iter:
                break
        for a, Ea in enumerate(E):
            cur = cur0 if a == 0 else (Fa * Ta) @ Ea
            with np.errstate(invalid="ignore", divide="ignore"):
                fac = np.where(cur > 0, tg[a] / cur, 1.0)
            Fa = Fa * (fac @ Ea.T)
        # an empty cell's factor has no rows to act on; kept at 1 so it cannot overflow
        Fa = np.where(occupied, Fa, 1.0)
    F[tables[pos]] = Fa
    return err


def _cell_gap(W: np.ndarray, targets: list[np.ndarray], E: list[np.ndarray]) -> np.ndarray:
    err = np.zeros(W.shape[0])
    for tg, Ea in zip(targets, E, strict=True):
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(tg > 0, np.abs((W @ Ea) / tg - 1.0), 0.0)
        err = np.maximum(err, rel.max(axis=1))
    return err


def _trim_cells(
    F: np.ndarray,
    N: np.ndarray,
    T0: np.ndarray,
    n_raked: np.ndarray,
    tables: np.ndarray,
    lo: float,
    hi: float,
) -> tuple[np.ndarray, np.ndarray]:
    # _trim on cells of F[tables]: a row's weight is factor × (mean base weight of its cell),
    # clipped until it sits within the bounds of its own mean. Returns F and, per table,
    # whether anything was clipped.
    clipped = np.zeros(tables.size, dtype=bool)
    pos = np.arange(tables.size)
    Fa, Na = F[tables], N[tables]
    occupied = Na > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        base = np.where(occupied, T0[tables] / Na, 0.0)
    nr = n_raked[tables][:, None]
    for _ in range(100):
        u = Fa * base
        mw = (u * Na).sum(axis=1, keepdims=True) / nr
        out = occupied & ((u < lo * mw * (1 - 1e-9)) | (u > hi * mw * (1 + 1e-9)))
        hit = out.any(axis=1)
        if not hit.any():
            break
        clipped[pos[hit]] = True
        with np.errstate(invalid="ignore", divide="ignore"):
            new = np.where(
                occupied[hit], np.clip(u[hit], lo * mw[hit], hi * mw[hit]) / base[hit], Fa[hit]
            )
        F[tables[pos[hit]]] = new
        # only the tables that moved can still be out of bounds
        pos, Fa, Na, occupied, base, nr = pos[hit], new, Na[hit], occupied[hit], base[hit], nr[hit]
    return F, clipped
