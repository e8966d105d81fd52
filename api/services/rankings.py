"""Ranking rows read from a stored snapshot (no recomputation)."""

from __future__ import annotations

from typing import Any

SUPPRESSED_LAST = 10**9


def ranking_rows(
    results: dict[str, Any], *, street: str | None = None, housing_type: str | None = None
) -> list[dict[str, Any]]:
    """One row per community, ranked; suppressed communities last, without score or rank."""
    meta = {m["code"]: m for m in results.get("community_meta", [])}
    rows = []
    for community in results["communities"]:
        info = meta.get(community["code"], {})
        if street is not None and info.get("street") != street:
            continue
        if housing_type is not None and info.get("housing_type") != housing_type:
            continue
        suppressed = bool(community.get("suppressed"))
        rows.append(
            {
                "community": community["code"],
                "name": info.get("name", community["code"]),
                "street": info.get("street"),
                "street_name": info.get("street_name"),
                "housing_type": info.get("housing_type"),
                "n": community.get("n"),
                "rank": None if suppressed else community.get("rank"),
                "rank_low": None if suppressed else community.get("rank_low"),
                "rank_high": None if suppressed else community.get("rank_high"),
                "score": None if suppressed else community.get("index"),
                "ci_low": None if suppressed else community.get("ci_low"),
                "ci_high": None if suppressed else community.get("ci_high"),
                "grade": None if suppressed else community.get("grade"),
                "suppressed": suppressed,
                "suppression_reason": community.get("suppression_reason"),
                "dimensions": {}
                if suppressed
                else {
                    code: d.get("score") for code, d in (community.get("dimensions") or {}).items()
                },
            }
        )
    rows.sort(
        key=lambda r: (r["rank"] if r["rank"] is not None else SUPPRESSED_LAST, r["community"])
    )
    return rows
