"""Community lineage in trends: a merged (or split-off) community follows its predecessors.

The register stores, for a community formed by a merger or a split, its predecessors with the
``share`` of each predecessor's population that came to it (``survey/district_register.py``).
For a wave before the community existed, its figure is the population-weighted combination of
its predecessors' published figures in that wave::

    w_p = N_p · share_p,   ȳ = Σ w_p ȳ_p / Σ w_p,   SE = √Σ (w_p / Σ w)² SE_p²

with ``N_p`` the predecessor's register population stored in that wave's snapshot (responses
when unknown). If any predecessor is not published in that wave the combination is withheld
(it would describe other residents). The point and the change say so (``lineage``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from api.services.read_models import CommunityRow, ResultsView

OVERALL = "overall"


def predecessors(view: ResultsView, code: str) -> tuple[tuple[str, float], ...]:
    meta = view.meta.get(code)
    return () if meta is None else meta.predecessors


def combined(
    view: ResultsView,
    lineage: tuple[tuple[str, float], ...],
    node: str = OVERALL,
    figure: Callable[[ResultsView, CommunityRow, str], tuple[float | None, float | None]]
    | None = None,
) -> tuple[float, float] | None:
    """(score, SE) of the predecessors' combination in ``view``, or None (see module doc).
    ``figure(view, row, node)`` gives each predecessor's (score, SE): the published ones by
    default, the Fay–Herriot EBLUP and √MSE under that estimator (the change rule)."""
    if not lineage:
        return None
    weights, scores, ses = [], [], []
    for code, share in lineage:
        row = view.rows.get(code)
        if row is None or row.suppressed:
            return None
        meta = view.meta.get(code)
        population = None if meta is None else meta.population
        size = float(population) if population else float(row.n or 0)
        if figure is not None:
            score, se = figure(view, row, node)
        else:
            score, se = (row.index, row.se) if node == OVERALL else row.dimension(node)[:2]
        if score is None or se is None or size <= 0 or share <= 0:
            return None
        weights.append(size * share)
        scores.append(float(score))
        ses.append(float(se))
    total = sum(weights)
    mean = sum(w * s for w, s in zip(weights, scores, strict=True)) / total
    var = sum((w / total) ** 2 * e**2 for w, e in zip(weights, ses, strict=True))
    return mean, math.sqrt(var)
