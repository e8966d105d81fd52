"""What the district dashboard says about actions: which are overdue, and which communities have
priorities this wave but no action on any of them (the "no one has answered yet" list).

A community's priorities are its ``improve_first`` sub-dimensions (high importance, low
performance; METHODS.md, priorities). An action of the community or of its street answers a
priority when it names that sub-dimension (or the dimension above it); cancelled actions do not
count. Suppressed communities have no priorities and are never listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from api.services.actions import action_views, today_beijing
from api.services.labels import Labels
from api.services.read_models import ResultsView
from survey.storage.actions import is_overdue
from survey.storage.models import Action

PRIORITIES_SHOWN = 3


def overdue_actions(session: Session, actions: Sequence[Action]) -> list[dict[str, Any]]:
    """The unfinished actions past their due date, as ``ActionOut`` dicts (oldest first)."""
    today = today_beijing()
    return action_views(session, [a for a in actions if is_overdue(a, today)])


def unanswered_communities(
    view: ResultsView,
    actions: Sequence[Action],
    labels: Labels,
    allowed: set[str] | None,
) -> list[dict[str, Any]]:
    """Communities (of ``allowed``; None = all) with priorities and no live action on them."""
    live = [a for a in actions if a.status != "cancelled"]
    out = []
    for code, row in sorted(view.rows.items()):
        if allowed is not None and code not in allowed:
            continue
        if not row.published or row.priorities is None or not row.priorities.improve_first:
            continue
        meta = view.meta.get(code)
        street = meta.street if meta is not None else None
        priorities = list(row.priorities.improve_first)
        wanted = set(priorities) | {labels.dimension_of_sub.get(p, "") for p in priorities}
        answered = any(
            a.scope_code in (code, street) and wanted.intersection(a.codes) for a in live
        )
        if answered:
            continue
        out.append(
            {
                "community": code,
                "name": meta.name if meta is not None else code,
                "street": street,
                "priorities": [
                    {"code": p, "label": labels.subdimensions.get(p, {"zh": p, "en": p})}
                    for p in priorities[:PRIORITIES_SHOWN]
                ],
            }
        )
    return out
