"""``meihao check``: what this deployment has configured, what is missing, and whether
residents would see a placeholder (``serve`` refuses to start then, see :func:`placeholders`)."""

from __future__ import annotations

import argparse
import sys

from api.settings import Settings, get_settings, secret_configured
from survey.storage.db import is_sqlite


def add_parsers(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="print the configuration and what is missing")
    check.set_defaults(handler=check_command)


def placeholders(settings: Settings) -> list[str]:
    from api.cli.engine import migrated_engine
    from api.services.notice import placeholders_left
    from survey.storage.db import session_scope

    with migrated_engine(settings.database_url) as engine, session_scope(engine) as session:
        return placeholders_left(session=session, settings=settings)


def refuse_placeholders(settings: Settings) -> bool:
    """Print why and return True when residents would see a placeholder in the notice."""
    left = placeholders(settings)
    if not left:
        return False
    print(
        "refusing to serve: residents would see placeholders in the survey notice:\n"
        + "\n".join(f"  {p}" for p in left)
        + "\nset MEIHAO_ORGANISER_NAME and MEIHAO_ORGANISER_CONTACT (see `meihao check`), "
        "or pass --allow-placeholders for a test",
        file=sys.stderr,
    )
    return True


def _secret_source(settings: Settings) -> str:
    if secret_configured():
        return "MEIHAO_SECRET_KEY (environment or .env)"
    return f"file {settings.secret_file} (every process must read the same file)"


def check_command(args: argparse.Namespace) -> int:
    settings = get_settings()
    missing: list[str] = []
    warnings: list[str] = []
    database = settings.database_url
    shown_db = database.split("@")[-1] if "@" in database else database
    print(f"database           {'sqlite' if is_sqlite(database) else 'postgresql'}: {shown_db}")
    print(f"secret key         {_secret_source(settings)}")
    print(f"public base URL    {settings.public_base_url or '(not set)'}")
    if not settings.public_base_url:
        warnings.append(
            "MEIHAO_PUBLIC_BASE_URL is not set: posters and slips encode "
            f"http://{settings.host}:{settings.port}, which phones outside this machine "
            "cannot reach"
        )
    elif not settings.public_base_url.startswith("https://"):
        warnings.append(
            "MEIHAO_PUBLIC_BASE_URL is not https: residents' answers travel unencrypted"
        )
    organiser = " · ".join(x for x in (settings.organiser_name, settings.organiser_contact) if x)
    print(f"organiser          {organiser or '(not set)'}")
    for name in ("organiser_name", "organiser_contact"):
        if not getattr(settings, name).strip():
            missing.append(f"MEIHAO_{name.upper()}")
    print(f"draft retention    {settings.draft_retention_days} days (meihao drafts)")
    print(f"free-text retention {settings.free_text_retention_days} days (purged daily)")
    print(f"comment delay      {settings.comment_delay_days} days (open waves)")
    print(f"stuffing scans     every {settings.stuffing_scan_minutes:g} min (open waves)")
    left = placeholders(settings)
    for p in left:
        missing.append(f"placeholder in the residents' notice: {p}")
    for w in warnings:
        print(f"warning: {w}")
    for m in missing:
        print(f"missing: {m}")
    if missing:
        print("not ready: `meihao serve` refuses to start until the above is configured")
        return 1
    print("ready")
    return 0
