"""Residents' free-text answers (P2, "急难愁盼") for a community's scorecard.

Shown only when at least ``MIN_COMMENTS`` residents of the community wrote one in the wave
(METHODS.md §6), so that no single comment can be tied to a handful of respondents. The text is
returned as written; templates escape it (autoescaping), never mark it safe.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from survey.storage.models import Community, Response, Wave

MIN_COMMENTS = 10
MAX_SHOWN = 60


def community_comments(
    *, session: Session, wave: Wave, community: Community, item: str | None
) -> dict[str, Any]:
    """``{"shown": bool, "count": k, "min": 10, "comments": [...]}``, newest first."""
    out: dict[str, Any] = {"shown": False, "count": 0, "min": MIN_COMMENTS, "comments": []}
    if item is None:
        return out
    rows = session.exec(
        select(Response.answers)
        .where(Response.wave_id == wave.id, Response.community_id == community.id)
        .order_by(col(Response.submitted_at).desc())
    ).all()
    texts = []
    for answers in rows:
        value = (answers or {}).get(item)
        if isinstance(value, str) and value.strip():
            texts.append(value.strip())
    out["count"] = len(texts)
    if len(texts) >= MIN_COMMENTS:
        out.update(shown=True, comments=texts[:MAX_SHOWN])
    return out
