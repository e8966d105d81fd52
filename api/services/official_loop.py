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

from sqlmodel import Session, select

from api.services.action_effects import all_effects, effects_summary
from api.services.snapshot_store import find_snapshot_or_none, load_results
from api.services.street_level import street_rows
from api.services.themes import scope_themes
from survey.errors import ConflictError, NotFoundError
from survey.storage.models import Action, User, Wave

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


def staff_scope_themes(
    session: Session, *, wave: str, level: str, code: str, model: str | None = None
) -> dict[str, Any]:
    """The themes JSON of one community or street, under the pages' publication rule.

    A scope whose results the wave's default snapshot suppresses gets no themes (``withheld``
    says why), and a street's count leaves out its suppressed communities, exactly as the
    officials' pages do (:func:`page_themes`). A wave without a snapshot publishes no results
    to compare with: only the comment thresholds apply. ``model`` is the theme model.
    """
    target = session.exec(select(Wave).where(Wave.code == wave)).first()
    if target is None:
        raise NotFoundError(f"no survey wave with code {wave!r}")
    ref = find_snapshot_or_none(session=session, wave=target, model_name=None)
    hidden: set[str] = set()
    suppressed = False
    if ref is not None:
        view = load_results(session=session, ref=ref)
        hidden = {c for c, row in view.rows.items() if row.suppressed}
        if level == "community":
            suppressed = code in hidden
        else:
            mine = next((r for r in street_rows(view) if r["street"] == code), None)
            suppressed = mine is None or bool(mine["suppressed"])
    if suppressed:
        return {
            "wave": wave,
            "scope": f"{level}:{code}",
            "model": None,
            "comments": 0,
            "min": 0,
            "shown": False,
            "themes": [],
            "withheld": "suppressed",
        }
    return scope_themes(
        session,
        wave=wave,
        level=level,
        code=code,
        model=model,
        exclude_communities=frozenset(hidden) if level == "street" else frozenset(),
    )
