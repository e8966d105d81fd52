"""Deleting what the deployment promised not to keep (PIPL, docs/access.md): one purge that
``meihao retention`` runs on demand and the wave schedule (api/services/schedule.py) runs once a
day.

- drafts untouched for ``draft_retention_days``;
- residents' raw free text (the questionnaire's text items) submitted more than
  ``free_text_retention_days`` ago: the answer is removed from the stored JSON. Text items are
  never scored, so indices, snapshots and their data hashes are unchanged;
- rate-limit counters older than an hour (they hold only keyed hashes, but serve no purpose).

Each purge that deletes anything leaves one ``retention`` audit event with the counts (the CLI
leaves one on every run, so an operator's run is on record even when nothing was due).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import String, cast, delete, or_
from sqlmodel import Session, col, select

from survey.storage.models import AuditEvent, Draft, RateCounter, Response, Wave
from survey.storage.registry import questionnaire_for_wave

RATE_KEEP = timedelta(hours=1)
EVERY = timedelta(days=1)  # how often the schedule purges (per server or worker process)

_lock = threading.Lock()
_last: datetime | None = None


def purge(
    *,
    session: Session,
    now: datetime,
    draft_days: int,
    free_text_days: int,
    actor: str,
    dry_run: bool = False,
    audit_nothing: bool = True,
) -> dict[str, int]:
    """Delete (or, ``dry_run``, only count) what is past retention; commits. The counts:
    ``drafts``, ``responses_with_free_text`` (responses whose free text was removed)."""
    draft_cut = now - timedelta(days=draft_days)
    drafts = session.exec(select(Draft).where(col(Draft.updated_at) < draft_cut)).all()
    text_cut = now - timedelta(days=free_text_days)
    texts = 0
    for wave in session.exec(select(Wave)).all():
        items = questionnaire_for_wave(session=session, wave=wave).items
        codes = {i.code for i in items if i.kind == "text"}
        if not codes:
            continue
        # Only rows whose stored answers mention a text item (a superset, checked below): a
        # daily purge must not parse every answer of a city wave again (bench P10: it took
        # three quarters of a close job's worker before this filter).
        mentions = or_(*(cast(Response.answers, String).like(f'%"{code}"%') for code in codes))
        old = select(Response).where(
            Response.wave_id == wave.id, col(Response.submitted_at) < text_cut, mentions
        )
        for row in session.exec(old).all():
            present = codes & set(row.answers or {})
            if present:
                texts += 1
                if not dry_run:
                    row.answers = {k: v for k, v in row.answers.items() if k not in present}
                    session.add(row)
    counts = {"drafts": len(drafts), "responses_with_free_text": texts}
    if dry_run:
        session.rollback()
        return counts
    for draft in drafts:
        session.delete(draft)
    window = int((now - RATE_KEEP).timestamp())
    session.exec(delete(RateCounter).where(col(RateCounter.window) < window))
    if audit_nothing or any(counts.values()):
        session.add(AuditEvent(actor=actor, action="retention", detail=counts))
    session.commit()
    return counts


def purge_if_due(
    *, session: Session, now: datetime, draft_days: int, free_text_days: int, actor: str
) -> dict[str, int] | None:
    """:func:`purge` once per ``EVERY`` in this process (the schedule's call); None when not
    due. Audited only when something was deleted, so a quiet day leaves no event."""
    global _last
    if not _lock.acquire(blocking=False):
        return None
    try:
        if _last is not None and now - _last < EVERY:
            return None
        counts = purge(
            session=session,
            now=now,
            draft_days=draft_days,
            free_text_days=free_text_days,
            actor=actor,
            audit_nothing=False,
        )
        _last = now
        return counts
    finally:
        _lock.release()
