"""``meihao scorecards --wave W --out DIR``: every community's scorecard of a wave as HTML files,
for printing (A4 print style sheet included), rendered from the stored snapshot."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from api.settings import get_settings
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from survey.storage.models import Community


def add_parsers(sub: Any) -> None:
    cards = sub.add_parser("scorecards", help="write every community's scorecard as HTML")
    cards.add_argument("--wave", required=True)
    cards.add_argument("--out", required=True, metavar="DIR")
    cards.add_argument("--model", default=None, help="weight model (default: the wave's)")
    cards.add_argument("--lang", choices=("zh", "en"), default="zh")
    cards.add_argument("--street", default=None, help="only this street's communities")
    cards.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from api.officials.render import export_scorecards
    from survey.storage.models import Street
    from survey.storage.registry import get_wave

    settings = get_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    started = time.perf_counter()
    with Session(engine) as session:
        wave = get_wave(session=session, code=args.wave)
        query = select(Community).order_by(Community.code)
        if args.street:
            query = query.join(Street).where(Street.code == args.street)
        communities = list(session.exec(query).all())
        paths = export_scorecards(
            session=session,
            wave=wave,
            communities=communities,
            out=Path(args.out),
            model=args.model,
            comment_delay_days=settings.comment_delay_days,
            lang=args.lang,
        )
    engine.dispose()
    print(
        f"wrote {len(paths)} scorecards of wave {args.wave} to {args.out} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0
