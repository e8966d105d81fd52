"""Where the free-text themes and the measured effects of actions plug into the loop pages.

Issue 14 is built in two parts: actions and the public results page (here), themes and
did-it-work effects (``api.services.themes``, ``api.services.action_effects``, built on another
branch). The pages and the export call only the two functions below. Each asks its provider
when that module is installed and translates its answer into the shape the pages document;
without it (before the two parts are merged) they return nothing, and every page says "not yet
measured" instead of guessing. Only a *missing* provider module is tolerated: an error inside
one is raised as usual.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import Session

from survey.storage.models import Action, Community, Wave

THEMES_PROVIDER = ("api.services.themes", "public_themes")
EFFECTS_PROVIDER = ("api.services.action_effects", "all_effects")


def _provider(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise  # the provider exists but one of its own imports is missing: a real error
        return None
    function = getattr(found, name, None)
    return function if callable(function) else None


def public_themes(session: Session, wave: Wave, community: Community) -> list[dict[str, Any]]:
    """The community's free-text themes of ``wave`` that may be shown to residents.

    Each: ``{"label": {"zh", "en"}, "count": int, "share": float}``, largest first, already
    past redaction and the minimum count. Example phrases are dropped: the public page shows
    themes, never residents' words.
    """
    provider = _provider(*THEMES_PROVIDER)
    if provider is None:
        return []
    block = provider(session, wave.code, community.code)
    if not block.get("shown"):
        return []
    return [
        {"label": entry["label"], "count": int(entry["count"]), "share": entry.get("share")}
        for entry in block.get("themes") or []
    ]


def action_effects(session: Session, actions: Sequence[Action]) -> dict[int, dict[str, Any]]:
    """The measured effect of each completed action, by action id (absent: not measured).

    Each: ``{"wave", "subdimension", "estimate", "ci_low", "ci_high", "label", "label_en"}`` —
    the difference-in-differences of the linked sub-dimension against comparable communities,
    labelled by the trends' change rule (改善明显 / 未见明显变化 / 无法判断). An action linked
    to several sub-dimensions shows the first; the effects API lists them all.
    """
    wanted = {a.id for a in actions if a.status == "done" and a.id is not None}
    provider = _provider(*EFFECTS_PROVIDER)
    if provider is None or not wanted:
        return {}
    out: dict[int, dict[str, Any]] = {}
    for row in provider(session):
        action_id = row.get("action_id")
        if action_id not in wanted or action_id in out:
            continue
        words = row.get("label_text") or {}
        out[action_id] = {
            "wave": row.get("after_wave"),
            "subdimension": row.get("subdimension"),
            "estimate": row.get("estimate"),
            "ci_low": row.get("ci_low"),
            "ci_high": row.get("ci_high"),
            "label": words.get("zh") or row.get("label"),
            "label_en": words.get("en") or row.get("label"),
        }
    return out
