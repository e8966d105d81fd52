"""Where the free-text themes and the measured effects of actions plug into the loop pages.

Issue 14 is built in two parts: actions and the public results page (here), themes and
did-it-work effects (``loop-effects``). The pages and the export call only these two functions;
the themes/effects work replaces their bodies with calls into its own services. Until then they
return nothing, and every page says "not yet measured" instead of guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from survey.storage.models import Action, Community, Wave


def public_themes(session: Session, wave: Wave, community: Community) -> list[dict[str, Any]]:
    """The community's free-text themes of ``wave`` that may be shown to residents.

    Each: ``{"label": {"zh", "en"}, "count": int, "share": float}``, largest first, already
    past redaction and the minimum count (no comment text: residents see themes, not quotes).
    """
    del session, wave, community
    return []


def action_effects(session: Session, actions: Sequence[Action]) -> dict[int, dict[str, Any]]:
    """The measured effect of each completed action, by action id (absent: not measured).

    Each: ``{"wave": str, "estimate": float, "ci_low": float, "ci_high": float,
    "label": str, "label_en": str}`` — the difference-in-differences of the linked
    sub-dimension(s) against comparable communities, labelled by the trends' change rule.
    """
    del session, actions
    return {}
