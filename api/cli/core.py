"""What each ``meihao`` sub-command does (argument parsing lives in api/cli.py)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from api.settings import Settings
from survey.storage.db import make_engine, session_scope
from survey.storage.migrate import upgrade
from survey.storage.models import ScoreSnapshot, Wave

DEMO_ORGANISER = {
    "organiser_name": "美好社区演示（虚构主办方）",
    "organiser_contact": "demo@example.invalid",
}


def _engine(settings: Settings) -> Engine:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return engine


def db_upgrade(settings: Settings) -> int:
    _engine(settings).dispose()
    print(f"database at {settings.database_url} is up to date")
    return 0


def seed(settings: Settings, args: argparse.Namespace) -> int:
    from survey.synthetic import generate_district
    from survey.synthetic.seed import seed_database, write_csv

    started = time.perf_counter()
    district = generate_district(
        seed=args.seed,
        n_streets=args.streets,
        n_communities=args.communities,
        respondents_per_community=args.respondents,
    )
    if args.csv:
        paths = write_csv(district, Path(args.csv))
        print(f"wrote {len(paths)} files to {args.csv} in {time.perf_counter() - started:.1f} s")
        return 0
    engine = _engine(settings)
    report = seed_database(engine, district)
    print(f"seeded {report} in {time.perf_counter() - started:.1f} s")
    return 0


def score(settings: Settings, args: argparse.Namespace) -> int:
    from api.services.snapshots import compute_snapshot

    engine = _engine(settings)
    with session_scope(engine) as session:
        snapshot = compute_snapshot(
            session=session,
            wave_code=args.wave,
            model_name=args.model,
            bootstrap=args.bootstrap
            if args.bootstrap is not None
            else settings.bootstrap_replicates,
            actor="cli",
        )
        print(
            f"stored snapshot {snapshot.id}: wave {args.wave}, model "
            f"{snapshot.model_name} v{snapshot.model_version}, data {snapshot.data_hash[:12]}"
        )
    return 0


def staff(settings: Settings, args: argparse.Namespace) -> int:
    from api.cli.staff import run

    engine = _engine(settings)
    try:
        return run(engine, args)
    finally:
        engine.dispose()


def serve(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    allow_placeholders: bool = False,
) -> int:
    import uvicorn

    from api.app import create_app
    from api.cli.check import refuse_placeholders

    if not allow_placeholders and refuse_placeholders(settings):
        return 2

    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )
    return 0


def demo(settings: Settings, args: argparse.Namespace) -> int:
    """Seed the embedded database when it is empty, score every wave, then serve."""
    from api.services.snapshots import compute_snapshot
    from survey.synthetic import generate_district
    from survey.synthetic.seed import seed_database

    engine = _engine(settings)
    with session_scope(engine) as session:
        has_waves = session.exec(select(Wave)).first() is not None
    if not has_waves:
        print("seeding the demo district (11 streets, 83 communities, 3 waves)...")
        started = time.perf_counter()
        report = seed_database(engine, generate_district(seed=20260501))
        print(f"  {report} in {time.perf_counter() - started:.1f} s")
    with session_scope(engine) as session:
        waves = list(session.exec(select(Wave).order_by(Wave.code)).all())
        for wave in waves:
            scored = session.exec(
                select(ScoreSnapshot).where(ScoreSnapshot.wave_id == wave.id)
            ).first()
            if scored is None:
                started = time.perf_counter()
                compute_snapshot(
                    session=session,
                    wave_code=wave.code,
                    model_name=None,
                    bootstrap=settings.bootstrap_replicates,
                    actor="demo",
                )
                print(f"  scored wave {wave.code} in {time.perf_counter() - started:.1f} s")
    from api.cli.staff import demo_user_lines, seed_demo_users

    staff_lines = demo_user_lines(seed_demo_users(engine))
    engine.dispose()
    host = args.host or settings.host
    port = args.port or settings.port
    latest = waves[-1].code if waves else "?"
    print()
    print(f"  首页 Home:        http://{host}:{port}/")
    print(f"  排名 Rankings:    http://{host}:{port}/api/v1/waves/{latest}/rankings")
    print(f"  API 文档 Docs:    http://{host}:{port}/docs")
    print(f"  登录 Sign in:     http://{host}:{port}/login")
    print("\n".join(staff_lines))
    print()
    if args.no_serve:
        return 0
    if not (settings.organiser_name and settings.organiser_contact):
        # The demo's residents' notice names a fictitious organiser, never a placeholder.
        settings = settings.model_copy(update=DEMO_ORGANISER)
    return serve(settings, host=host, port=port)
