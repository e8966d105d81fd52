"""``meihao retention``: delete what the deployment promised not to keep (PIPL, docs/access.md).

- drafts untouched for ``MEIHAO_DRAFT_RETENTION_DAYS`` (default 30);
- residents' raw free text (text items) of waves closed more than
  ``MEIHAO_FREE_TEXT_RETENTION_DAYS`` ago (default 365): the answer is removed from the stored
  JSON; the scored answers stay, so indices and snapshots are unchanged;
- rate-limit counters older than an hour (they hold only keyed hashes, but serve no purpose).

Each run leaves one ``retention`` audit event with the counts. ``--dry-run`` only counts.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from api.settings import get_settings
from survey.storage.db import make_engine
from survey.storage.models import AuditEvent, Draft, RateCounter, Response, Wave
from survey.storage.registry import questionnaire_for_wave

RATE_KEEP = timedelta(hours=1)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("retention", help="delete old drafts and raw free text (PIPL)")
    parser.add_argument("--dry-run", action="store_true", help="count only, delete nothing")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    now = datetime.now(UTC)
    with Session(engine) as session:
        draft_cut = now - timedelta(days=settings.draft_retention_days)
        drafts = session.exec(select(Draft).where(col(Draft.updated_at) < draft_cut)).all()
        text_cut = now - timedelta(days=settings.free_text_retention_days)
        texts = 0
        for wave in session.exec(select(Wave).where(Wave.status == "closed")).all():
            closed = wave.closes_at
            if closed is None or (closed.replace(tzinfo=closed.tzinfo or UTC)) > text_cut:
                continue
            q = questionnaire_for_wave(session=session, wave=wave)
            codes = {i.code for i in q.items if i.kind == "text"}
            for row in session.exec(select(Response).where(Response.wave_id == wave.id)).all():
                present = codes & set(row.answers)
                if present:
                    texts += 1
                    if not args.dry_run:
                        row.answers = {k: v for k, v in row.answers.items() if k not in present}
                        session.add(row)
        window = int((now - RATE_KEEP).timestamp())
        counts = {"drafts": len(drafts), "responses_with_free_text": texts}
        if not args.dry_run:
            for draft in drafts:
                session.delete(draft)
            session.exec(delete(RateCounter).where(col(RateCounter.window) < window))
            session.add(AuditEvent(actor="cli", action="retention", detail=counts))
            session.commit()
    engine.dispose()
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"{verb}: {counts['drafts']} drafts, free text of "
        f"{counts['responses_with_free_text']} responses"
    )
    return 0
