"""Where the free-text themes and the measured effects of actions plug into the loop pages.

The public page, the action pages and the export call only the two functions below; each asks
its provider (``api.services.themes``, ``api.services.action_effects``) and translates the
answer into the shape the pages document, so a provider can change its own JSON without
touching the pages. Providers are called through their modules (``themes.public_themes``) so
that a test can stand one in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from api.services import action_effects as effects_provider
from api.services import themes as themes_provider
from survey.storage.models import Action, Community, Wave


def public_themes(session: Session, wave: Wave, community: Community) -> list[dict[str, Any]]:
    """The community's free-text themes of ``wave`` that may be shown to residents.

    Each: ``{"label": {"zh", "en"}, "count": int, "share": float}``, largest first, already
    past redaction and the minimum count. Example phrases are dropped: the public page shows
    themes, never residents' words.
    """
    block = themes_provider.public_themes(session, wave.code, community.code)
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
    if not wanted:
        return {}
    out: dict[int, dict[str, Any]] = {}
    for row in effects_provider.all_effects(session):
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
