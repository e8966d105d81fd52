"""Groups of statistically indistinguishable communities, stored with the snapshot (issue 12;
``scoring.rank_sets``, Klein, Wright & Wieczorek 2020; docs/methods.md §9).

Joint rank confidence sets at α = 0.10 (Holm over all pairs of published communities): with
probability ≥ 90 % every community's true rank lies in ``[rank_set_low, rank_set_high]``
simultaneously; ``tier`` numbers groups that cannot be told apart from the one above. The
all-pairs family grows as m², so above ``MAX_COMMUNITIES`` the sets are not computed (a city's
ranking keeps its bootstrap rank intervals).
"""

from __future__ import annotations

from typing import Any

from api.services.small_area import rows_with_standard_errors
from scoring.errors import ScoringError
from scoring.rank_sets import rank_sets

ALPHA = 0.10
MAX_COMMUNITIES = 500


def rank_groups(results: dict[str, Any]) -> dict[str, Any] | None:
    """``{"method", "alpha", "communities": {code: {"rank_set_low", "rank_set_high",
    "tier"}}}`` over the published communities, or None (fewer than 2, or too many)."""
    rows = rows_with_standard_errors(results)
    if not 2 <= len(rows) <= MAX_COMMUNITIES:
        return None
    try:
        rs = rank_sets([r["index"] for r in rows], [r["se"] for r in rows], alpha=ALPHA)
    except ScoringError:
        return None
    return rs.sets_by_code([r["code"] for r in rows])
