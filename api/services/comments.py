"""Residents' free-text answers (P2, "急难愁盼") for a community's scorecard.

Shown only when at least ``MIN_COMMENTS`` residents of the community wrote one in the wave
(METHODS.md §6), so that no single comment can be tied to a handful of respondents, and only
from a closed wave or once a comment is ``delay_days`` old (``MEIHAO_COMMENT_DELAY_DAYS``): an
official cannot match a comment to who was seen answering that day. Names, phone numbers and
other personal details are masked (api/services/redaction.py); the raw text stays with
researchers. Templates escape the text (autoescaping), never mark it safe.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from api.services.redaction import redact
from survey.storage.models import Community, Response, Wave

MIN_COMMENTS = 10
MAX_SHOWN = 60


def community_comments(
    *,
    session: Session,
    wave: Wave,
    community: Community,
    item: str | None,
    delay_days: int,
) -> dict[str, Any]:
    """``{"shown": bool, "count": k, "min": 10, "comments": [...]}``, newest first.

    ``delay_days`` is the deployment's ``comment_delay_days`` (api/settings.py): callers pass
    it, so no page or export can fall back on a default of its own.
    """
    out: dict[str, Any] = {"shown": False, "count": 0, "min": MIN_COMMENTS, "comments": []}
    if item is None:
        return out
    query = select(Response.answers).where(
        Response.wave_id == wave.id, Response.community_id == community.id
    )
    if wave.status != "closed":
        cutoff = datetime.now(UTC) - timedelta(days=delay_days)
        query = query.where(col(Response.submitted_at) <= cutoff)
    rows = session.exec(query.order_by(col(Response.submitted_at).desc())).all()
    texts = []
    for answers in rows:
        value = (answers or {}).get(item)
        if isinstance(value, str) and value.strip():
            texts.append(redact(value.strip()))
    out["count"] = len(texts)
    if len(texts) >= MIN_COMMENTS:
        out.update(shown=True, comments=texts[:MAX_SHOWN])
    return out
