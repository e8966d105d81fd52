"""``meihao retention``: delete what the deployment promised not to keep (PIPL, docs/access.md).

The purge itself is ``api.services.retention.purge`` (the wave schedule runs the same once a day):

- drafts untouched for ``MEIHAO_DRAFT_RETENTION_DAYS`` (default 30);
- residents' raw free text (text items) submitted more than ``MEIHAO_FREE_TEXT_RETENTION_DAYS``
  ago (default 365): the answer is removed from the stored JSON; the scored answers stay, so
  indices and snapshots are unchanged;
- rate-limit counters older than an hour (they hold only keyed hashes, but serve no purpose).

Each run leaves one ``retention`` audit event with the counts. ``--dry-run`` only counts.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from sqlmodel import Session

from api.services.retention import purge
from api.settings import get_settings
from survey.storage.db import make_engine


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("retention", help="delete old drafts and raw free text (PIPL)")
    parser.add_argument("--dry-run", action="store_true", help="count only, delete nothing")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        counts = purge(
            session=session,
            now=datetime.now(UTC),
            draft_days=settings.draft_retention_days,
            free_text_days=settings.free_text_retention_days,
            actor="cli",
            dry_run=args.dry_run,
        )
    engine.dispose()
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"{verb}: {counts['drafts']} drafts, free text of "
        f"{counts['responses_with_free_text']} responses"
    )
    return 0
