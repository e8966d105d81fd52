"""What may be shown from a snapshot: published rows and grades.

The suppression rule (METHODS.md §6: no score, percentage or rank below ``min_n``) is applied
once, when the snapshot is parsed (:func:`api.services.read_models.parse_row` keeps only the
code, ``n`` and the reason of a suppressed row), so every service reading
:class:`~api.services.read_models.CommunityRow` gets it, even for the fields the engine keeps
for suppressed communities (item counts, don't-know rates).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from api.services.read_models import CommunityRow, ResultsView


def grade_of(score: float | None, bands: Sequence[tuple[str, float | None]]) -> str | None:
    """The band whose lower edge the score reaches (bands listed best first)."""
    if score is None or math.isnan(score):
        return None
    for name, low in bands:
        if low is None or score >= low:
            return name
    return bands[-1][0]


def graded_num(value: float | None, edges: Sequence[float]) -> str:
    """A score beside its grade: one decimal, unless rounding would carry it onto a grade
    edge it does not reach (59.96 shown "60.0" next to 差 when 中 starts at 60); then two
    decimals, cut rather than rounded ("59.96", "59.99" for 59.996). Every page that shows a
    number with a grade (officials' and residents') uses this."""
    if value is None:
        return "—"
    shown = f"{value:.1f}"
    if any(value < edge <= float(shown) for edge in edges):
        # Decimal of the shortest repr: 72.46 stays 72.46 (72.46 * 100 is 7245.99…).
        return str(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_DOWN))
    return shown


def public_row(view: ResultsView, code: str) -> CommunityRow | None:
    """The row of ``code`` (figures already withheld when suppressed; None: unknown)."""
    return view.rows.get(code)


def published_rows(view: ResultsView) -> list[CommunityRow]:
    return view.published_rows()
