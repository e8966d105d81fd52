"""``meihao invitations``, ``meihao posters`` and ``meihao drafts``: what a survey team prints and
tidies before, during and after a wave."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api.settings import Settings, get_settings
from survey.storage.db import make_engine, session_scope
from survey.storage.migrate import upgrade


def add_parsers(sub: Any) -> None:
    inv = sub.add_parser("invitations", help="make single-use invitation codes for a community")
    inv.add_argument("--wave", required=True, help="wave code, e.g. 2026Q2")
    inv.add_argument("--community", required=True, help="community code")
    inv.add_argument("--count", type=int, required=True, help="how many codes (1–5000)")
    inv.add_argument("--out", type=Path, help="write printable slips (HTML) here")
    inv.add_argument("--base-url", default=None, help="public address, e.g. https://survey.example")
    inv.add_argument("--batch", default="", help="a label for this batch (who hands them out)")
    inv.set_defaults(handler=invitations)

    poster = sub.add_parser("posters", help="write a QR poster per community for an open wave")
    poster.add_argument("--wave", required=True)
    poster.add_argument("--out", type=Path, required=True, help="folder for the posters")
    poster.add_argument("--base-url", default=None)
    poster.add_argument("--community", action="append", help="only these (repeatable)")
    poster.set_defaults(handler=posters)

    drafts = sub.add_parser("drafts", help="delete unfinished and old drafts (privacy)")
    drafts.add_argument(
        "--older-than-days",
        type=float,
        default=None,
        help="default: MEIHAO_DRAFT_RETENTION_DAYS (30)",
    )
    drafts.set_defaults(handler=purge)


def _base_url(settings: Settings, given: str | None) -> str:
    # MEIHAO_PUBLIC_BASE_URL: the address phones reach (the proxy), not where uvicorn listens.
    from api.settings import base_url

    return base_url(settings, given)


def invitations(args: argparse.Namespace) -> int:
    from api.admin.posters import render_slips, slips_for
    from survey.storage.access import create_invitations, format_code
    from survey.storage.models import AuditEvent
    from survey.storage.registry import get_community, get_wave

    settings = get_settings()

    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        with session_scope(engine) as session:
            wave = get_wave(session=session, code=args.wave)
            community = get_community(session=session, code=args.community)
            codes = create_invitations(
                session=session, wave=wave, community=community, count=args.count, batch=args.batch
            )
            session.add(
                AuditEvent(
                    actor="cli",
                    action="invitations.create",
                    target=f"{wave.code}/{community.code}",
                    detail={"count": len(codes), "batch": args.batch},
                )
            )
            if wave.access_mode != "invitation":
                print(
                    f"note: wave {wave.code} is in '{wave.access_mode}' mode: its open links "
                    "work and these codes are refused until the wave is set to invitation mode",
                    file=sys.stderr,
                )
            if args.out:
                slips = slips_for(codes=codes, base_url=_base_url(settings, args.base_url))
                html = render_slips(
                    slips=slips,
                    community=community,
                    wave=wave,
                    base_url=_base_url(settings, args.base_url),
                    standalone=True,
                )
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(html, encoding="utf-8")
    finally:
        engine.dispose()
    if args.out:
        print(f"made {len(codes)} codes for {args.community} in {args.wave}; slips: {args.out}")
    else:
        print("\n".join(format_code(code) for code in codes))
    return 0


def posters(args: argparse.Namespace) -> int:
    from sqlmodel import col, select

    from api.admin.posters import posters_for_wave, write_posters
    from survey.storage.models import Community
    from survey.storage.registry import get_wave

    settings = get_settings()

    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        with session_scope(engine) as session:
            wave = get_wave(session=session, code=args.wave)
            if wave.access_mode == "invitation":
                print(
                    f"wave {wave.code} is by invitation only: its open links refuse answers; "
                    "make slips with `meihao invitations`",
                    file=sys.stderr,
                )
                return 2
            communities = None
            if args.community:
                communities = list(
                    session.exec(
                        select(Community)
                        .where(col(Community.code).in_(args.community))
                        .order_by(Community.code)
                    ).all()
                )
                missing = set(args.community) - {c.code for c in communities}
                if missing:
                    print(f"no community with code {', '.join(sorted(missing))}", file=sys.stderr)
                    return 2
            made = posters_for_wave(
                session=session,
                wave=wave,
                secret=settings.secret_key,
                base_url=_base_url(settings, args.base_url),
                communities=communities,
            )
            written = write_posters(posters=made, out_dir=args.out)
    finally:
        engine.dispose()
    print(
        f"wrote {len(made)} posters for wave {args.wave} to {args.out} "
        f"({len(written)} files; print {args.out / 'index.html'})"
    )
    return 0


def purge(args: argparse.Namespace) -> int:
    from survey.storage.drafts import purge_drafts

    settings = get_settings()

    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        with session_scope(engine) as session:
            if args.older_than_days is None:
                args.older_than_days = float(settings.draft_retention_days)
            older_than = datetime.now(UTC) - timedelta(days=args.older_than_days)
            removed = purge_drafts(session=session, older_than=older_than)
    finally:
        engine.dispose()
    print(f"deleted {removed} drafts untouched for {args.older_than_days:g} days")
    return 0
