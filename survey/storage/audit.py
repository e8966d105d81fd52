"""Reading the append-only audit log (who did what, to what, when), for the admins' page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from survey.storage.models import AuditEvent

MAX_ROWS = 200  # one page; narrower filters find older events


@dataclass(frozen=True)
class AuditFilter:
    """Every field optional; ``since`` inclusive, ``until`` exclusive (UTC)."""

    actor: str = ""
    action: str = ""
    target: str = ""
    since: datetime | None = None
    until: datetime | None = None


def audit_events(
    *, session: Session, where: AuditFilter, limit: int = MAX_ROWS
) -> tuple[list[AuditEvent], bool]:
    """The newest events matching ``where`` (exact actor, action and target) and whether there
    are more than ``limit`` of them."""
    query = select(AuditEvent)
    if where.actor:
        query = query.where(AuditEvent.actor == where.actor)
    if where.action:
        query = query.where(AuditEvent.action == where.action)
    if where.target:
        query = query.where(AuditEvent.target == where.target)
    if where.since is not None:
        query = query.where(col(AuditEvent.at) >= where.since)
    if where.until is not None:
        query = query.where(col(AuditEvent.at) < where.until)
    rows = list(
        session.exec(
            query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc()).limit(limit + 1)
        ).all()
    )
    return rows[:limit], len(rows) > limit


def audit_actions(*, session: Session) -> list[str]:
    """The actions that occur in the log (the page's filter choices)."""
    found = session.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    return [str(a) for a in found]
