"""A community's joint rank set and its group of statistically indistinguishable communities,
as pages, JSON and exports show them (the sets themselves: ``api/services/rank_groups.py``).

A tier's *rank span* is the smallest to the largest point rank of its members: "与第 a–b 名无
显著差别". Everything is None when the snapshot has no rank sets (one community, more than
``rank_groups.MAX_COMMUNITIES``, or stored before issue 12).
"""

from __future__ import annotations

from typing import Any

from api.services.read_models import ResultsView

EMPTY: dict[str, Any] = {
    "rank_set_low": None,
    "rank_set_high": None,
    "tier": None,
    "tier_members": None,
    "tier_rank_low": None,
    "tier_rank_high": None,
}


def _spans(view: ResultsView) -> dict[int, tuple[int, int, int]]:
    """Tier → (members, lowest rank, highest rank) over the published communities."""
    sets = (view.rank_sets or {}).get("communities") or {}
    spans: dict[int, tuple[int, int, int]] = {}
    for code, s in sets.items():
        row = view.rows.get(code)
        tier = s.get("tier")
        if row is None or row.rank is None or tier is None:
            continue
        k, lo, hi = spans.get(int(tier), (0, row.rank, row.rank))
        spans[int(tier)] = (k + 1, min(lo, row.rank), max(hi, row.rank))
    return spans


def rank_group(view: ResultsView, code: str) -> dict[str, Any]:
    """``rank_set_low/high``, ``tier``, ``tier_members`` and ``tier_rank_low/high`` of one
    community (all None when not computed)."""
    s = ((view.rank_sets or {}).get("communities") or {}).get(code)
    if not s or s.get("tier") is None:
        return dict(EMPTY)
    spans = view.memo("rank-tier-spans", lambda: _spans(view))
    members, lo, hi = spans.get(int(s["tier"]), (None, None, None))
    return {
        "rank_set_low": s.get("rank_set_low"),
        "rank_set_high": s.get("rank_set_high"),
        "tier": int(s["tier"]),
        "tier_members": members,
        "tier_rank_low": lo,
        "tier_rank_high": hi,
    }
