"""``meihao repair-text``: replace lone UTF-16 surrogates stored before the edge refused them.

Such text (e.g. a weight model described as ``"\\ud800"``) was stored and then made every read
of the row fail. The command scans every text and JSON column of every table, replaces each lone
surrogate with U+FFFD (the Unicode replacement character), and writes one ``repair_text`` audit
event saying which columns of how many rows changed. ``--dry-run`` only reports.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from sqlalchemy import JSON, String, Text, select, update
from sqlmodel import Session, SQLModel

from api.settings import get_settings

_SURROGATE = re.compile("[\ud800-\udfff]")


def add_parsers(sub: Any) -> None:
    parser = sub.add_parser("repair-text", help="replace lone surrogates in stored text (audited)")
    parser.add_argument("--dry-run", action="store_true", help="report, change nothing")
    parser.set_defaults(handler=run)


def repaired(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings (and keys) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {repaired(k): repaired(v) for k, v in value.items()}
    if isinstance(value, list):
        return [repaired(v) for v in value]
    return value


def repair_text(session: Session, *, dry_run: bool = False) -> dict[str, int]:
    """Rows changed per ``table.column``; commits unless ``dry_run``."""
    from survey.storage import models  # noqa: F401  (registers every table)
    from survey.storage.models import AuditEvent

    changed: dict[str, int] = {}
    for table in SQLModel.metadata.sorted_tables:
        columns = [c for c in table.c if isinstance(c.type, JSON | String | Text)]
        if not columns or "id" not in table.c:
            continue
        for row in session.connection().execute(select(table.c.id, *columns)).mappings():
            fixes = {
                c.name: repaired(row[c.name])
                for c in columns
                if row[c.name] is not None and repaired(row[c.name]) != row[c.name]
            }
            for name in fixes:
                key = f"{table.name}.{name}"
                changed[key] = changed.get(key, 0) + 1
            if fixes and not dry_run:
                session.execute(update(table).where(table.c.id == row["id"]).values(**fixes))
    if changed and not dry_run:
        session.add(AuditEvent(actor="system", action="repair_text", detail={"rows": changed}))
        session.commit()
    return changed


def run(args: argparse.Namespace) -> int:
    from survey.storage.db import make_engine, session_scope
    from survey.storage.migrate import upgrade

    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        changed = repair_text(session, dry_run=args.dry_run)
    engine.dispose()
    verb = "would replace" if args.dry_run else "replaced"
    if not changed:
        print("no stored text needs repair")
    for key, rows in sorted(changed.items()):
        print(f"{verb} lone surrogates in {rows} row(s) of {key}")
    return 0
