"""``meihao db upgrade``, ``seed``, ``score``, ``serve`` and ``demo``: database and server."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from api.settings import Settings, get_settings, secret_configured
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


def add_parsers(sub: Any) -> None:
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply the Alembic migrations").set_defaults(
        handler=db_upgrade
    )

    seed_ = sub.add_parser("seed", help="fill the database with a synthetic district")
    seed_.add_argument("--seed", type=int, default=20260501)
    seed_.add_argument("--communities", type=int, default=83)
    seed_.add_argument("--streets", type=int, default=11)
    seed_.add_argument("--respondents", type=int, default=180, help="per community per wave")
    seed_.add_argument(
        "--drift",
        type=float,
        default=1.0,
        help="scale of the true change between waves (0: truth unchanged, for null studies)",
    )
    seed_.add_argument("--csv", metavar="DIR", help="write CSV files instead of the database")
    seed_.set_defaults(handler=seed)

    score_ = sub.add_parser("score", help="compute and store a score snapshot")
    score_.add_argument("--wave", required=True)
    score_.add_argument("--model", default=None, help="weight model name (default: the wave's)")
    score_.add_argument("--bootstrap", type=int, default=None)
    score_.set_defaults(handler=score)

    serve_ = sub.add_parser("serve", help="serve the API and pages")
    serve_.add_argument("--host", default=None)
    serve_.add_argument("--port", type=int, default=None)
    serve_.add_argument(
        "--workers", type=int, default=1, help="worker processes (PostgreSQL; needs a secret key)"
    )
    serve_.add_argument(
        "--allow-placeholders", action="store_true", help="serve even with notice placeholders"
    )
    serve_.set_defaults(handler=serve)

    demo_ = sub.add_parser("demo", help="seed (when empty), score and serve a demo district")
    demo_.add_argument("--host", default=None)
    demo_.add_argument("--port", type=int, default=None)
    demo_.add_argument("--no-serve", action="store_true", help="prepare the data, then exit")
    demo_.set_defaults(handler=demo)


def db_upgrade(args: argparse.Namespace) -> int:
    settings = get_settings()
    _engine(settings).dispose()
    print(f"database at {settings.database_url} is up to date")
    return 0


def seed(args: argparse.Namespace) -> int:
    settings = get_settings()
    from survey.synthetic import generate_district
    from survey.synthetic.seed import seed_database, write_csv

    started = time.perf_counter()
    district = generate_district(
        seed=args.seed,
        n_streets=args.streets,
        n_communities=args.communities,
        respondents_per_community=args.respondents,
        drift=args.drift,
    )
    if args.csv:
        paths = write_csv(district, Path(args.csv))
        print(f"wrote {len(paths)} files to {args.csv} in {time.perf_counter() - started:.1f} s")
        return 0
    engine = _engine(settings)
    report = seed_database(engine, district)
    print(f"seeded {report} in {time.perf_counter() - started:.1f} s")
    return 0


def score(args: argparse.Namespace) -> int:
    from api.services.snapshots import compute_snapshot

    settings = get_settings()

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


def serve(args: argparse.Namespace) -> int:
    return _serve(
        get_settings(),
        host=args.host,
        port=args.port,
        workers=args.workers,
        allow_placeholders=args.allow_placeholders,
    )


def _serve(
    settings: Settings,
    *,
    host: str | None,
    port: int | None,
    workers: int = 1,
    allow_placeholders: bool = False,
) -> int:
    """Serve the app; with ``workers > 1``, uvicorn's own process manager runs that many
    stateless worker processes on one port (each builds the app from the environment, and
    a dead one is restarted). Every process must sign with the same key, so it must be
    configured (``MEIHAO_SECRET_KEY``) rather than generated per machine. A notice with
    placeholders left is refused unless ``allow_placeholders`` (``meihao check`` says why)."""
    import uvicorn

    from api.app import create_app
    from api.cli.check import refuse_placeholders
    from api.web.access_log import log_config

    if not allow_placeholders and refuse_placeholders(settings):
        return 2

    # uvicorn's own access log (client address + full request line) stays off: the app writes
    # one that keeps residents anonymous (api/web/access_log.py).
    if workers > 1:
        if not secret_configured():
            print(
                "meihao serve --workers N needs MEIHAO_SECRET_KEY: every process (and every "
                "host) must sign sessions and links with the same key",
                file=sys.stderr,
            )
            return 2
        upgrade(_engine(settings))  # once, before the workers start (they would race)
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            workers=workers,
            host=host or settings.host,
            port=port or settings.port,
            log_level="info",
            access_log=False,
            log_config=log_config(),
            proxy_headers=False,  # as below: MEIHAO_TRUSTED_PROXIES decides
            # A worker's first read of a city-scale snapshot parses it in json.loads, which
            # holds the interpreter lock for seconds: uvicorn's 5 s health check would kill
            # the worker mid-parse (bench P7 with 4 workers). A minute still catches a hung one.
            timeout_worker_healthcheck=60,
        )
        return 0
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        access_log=False,
        log_config=log_config(),
        # The client address is decided by MEIHAO_TRUSTED_PROXIES alone (api/web/ratelimit.py):
        # uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1.
        proxy_headers=False,
    )
    return 0


def demo(args: argparse.Namespace) -> int:
    """Seed the embedded database when it is empty, score every wave, then serve."""
    from api.services.snapshots import compute_snapshot
    from survey.synthetic import generate_district
    from survey.synthetic.seed import seed_database

    settings = get_settings()

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
    return _serve(settings, host=host, port=port)
