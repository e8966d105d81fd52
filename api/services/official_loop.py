"""What the officials' pages show of the loop: measured effects and 急难愁盼 themes.

A thin layer over :mod:`api.services.action_effects` and :mod:`api.services.themes` (which hold
all the rules and the memoisation): it picks, for one page, the rows its reader may see and
applies the page's own publication rule — a community or street whose results are suppressed
in the wave shows neither themes nor effects, and themes come from closed waves only (an open
wave gives ``None``, the page then says nothing about themes).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlmodel import Session

from api.services.action_effects import all_effects, effects_summary
from api.services.themes import scope_themes
from survey.errors import ConflictError
from survey.storage.models import Action, User

DONE = "done"


def effects_of_actions(session: Session, actions: Sequence[Action]) -> list[dict[str, Any]]:
    """One row per completed action of ``actions`` × linked sub-dimension, in action order.

    Each row is an :func:`api.services.action_effects.all_effects` row plus the action's
    ``scope_code``; an action with several sub-dimensions gives several rows.
    """
    wanted = [a for a in actions if a.status == DONE and a.id is not None]
    if not wanted:
        return []
    by_action: dict[int, list[dict[str, Any]]] = {}
    for row in all_effects(session):
        by_action.setdefault(int(row["action_id"]), []).append(row)
    out = []
    for action in sorted(wanted, key=lambda a: a.id or 0):
        for row in by_action.get(action.id or 0, []):
            out.append({**row, "scope_code": action.scope_code})
    return out


def summary_scope(user: User) -> str:
    """The ``effects_summary`` scope of a dashboard reader: their whole scope."""
    if user.scope_level in ("street", "community") and user.scope_code:
        return f"{user.scope_level}:{user.scope_code}"
    return "district"


def page_summary(session: Session, wave: str, scope: str) -> dict[str, Any]:
    """The summary sentence's numbers for the actions measured in ``wave`` (no effect rows:
    a page shows the sentence, the action pages show each effect)."""
    summary = effects_summary(session, wave, scope)
    return {k: summary[k] for k in ("scope", "wave", "completed", "measured", "improved")}


def page_themes(
    session: Session,
    *,
    wave: str,
    level: str,
    code: str,
    suppressed: bool,
    hidden_communities: Collection[str] = (),
) -> dict[str, Any] | None:
    """The scope's themes of a closed wave for an officials' page, or ``None``.

    ``None`` when the scope is suppressed in the wave or the wave is not closed.
    ``hidden_communities`` (a street page: its suppressed communities) are left out of the
    count, so that subtracting the visible communities' themes from the street's cannot
    describe a community whose results are not published.
    """
    if suppressed:
        return None
    try:
        return scope_themes(
            session,
            wave=wave,
            level=level,
            code=code,
            exclude_communities=frozenset(hidden_communities),
        )
    except ConflictError:  # an open wave: themes come after it closes
        return None
