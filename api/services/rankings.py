"""Ranking rows read from a stored snapshot (no recomputation)."""

from __future__ import annotations

from typing import Any

from api.services.rank_tiers import rank_group
from api.services.read_models import ResultsView
from api.services.trends import LatestChanges
from api.web.messages import text

SUPPRESSED_LAST = 10**9


def ranking_rows(
    view: ResultsView,
    *,
    street: str | None = None,
    housing_type: str | None = None,
    changes: LatestChanges | None = None,
) -> list[dict[str, Any]]:
    """One row per community, ranked; suppressed communities last, without score or rank.

    ``suppression_reason`` is the catalog's Chinese wording (as the JSON has always shown),
    ``suppression_reason_code`` and ``note_code`` the codes pages and exports word themselves.
    ``changes``: add each community's change since the previous wave (the one change rule).
    ``rank_set_low``/``rank_set_high``/``tier``: the joint rank set and the group of
    statistically indistinguishable communities (``api/services/rank_groups.py``), None when
    not computed; ``grade_prob``/``grade_p``/``borderline``: P(grade) from the bootstrap.
    """
    rows = []
    for community in view.rows.values():
        info = view.meta.get(community.code)
        if street is not None and (info is None or info.street != street):
            continue
        if housing_type is not None and (info is None or info.housing_type != housing_type):
            continue
        rows.append(
            {
                "community": community.code,
                "name": community.code if info is None else info.name,
                "street": None if info is None else info.street,
                "street_name": None if info is None else info.street_name,
                "housing_type": None if info is None else info.housing_type,
                "n": community.n,
                "population": None if info is None else info.population,
                "rank": community.rank,
                "rank_low": community.rank_low,
                "rank_high": community.rank_high,
                "score": community.index,
                "ci_low": community.ci_low,
                "ci_high": community.ci_high,
                "grade": community.grade,
                "grade_prob": None if community.grade_prob is None else dict(community.grade_prob),
                "grade_p": community.grade_p,
                "borderline": community.borderline,
                **rank_group(view, community.code),
                "suppressed": community.suppressed,
                "suppression_reason": text(community.reason),
                "suppression_reason_code": community.reason,
                "note_code": community.note,
                "dimensions": {code: d.score for code, d in community.dimensions.items()},
            }
        )
        rows[-1].update(_small_area(view, community.code))
        if changes is not None:
            rows[-1]["change"] = changes.community(community.code)
    rows.sort(
        key=lambda r: (r["rank"] if r["rank"] is not None else SUPPRESSED_LAST, r["community"])
    )
    return rows


def _small_area(view: ResultsView, code: str) -> dict[str, Any]:
    """The estimator of the rank, and the community's Fay–Herriot EBLUP with its interval."""
    fh = None if view.small_area is None else view.small_area.overall.communities.get(code)
    return {
        "estimator": view.rank_estimator,
        "fh_estimate": None if fh is None else fh.estimate,
        "fh_ci_low": None if fh is None else fh.ci_low,
        "fh_ci_high": None if fh is None else fh.ci_high,
    }
