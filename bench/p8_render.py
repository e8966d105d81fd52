"""P8: rendering every community's scorecard of a district wave to HTML files (for printing).

District scale: the demo district (``generate_district``: 11 streets, 83 communities, three
waves of 180 respondents per community), seeded into ``bench/out/p8_district.db`` and scored
by ``api.services.snapshots.compute_snapshot`` (B = 200), once, reused while its parameters
are unchanged. The subject is what ``meihao scorecards --wave W --out DIR`` does, in process:
:func:`api.officials.render.export_scorecards` for all 83 communities of the last wave, with
the snapshot cache emptied before every run (so each run also reads and parses the three
snapshots). Target: ≤ 10 s. No reference.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

from bench.harness import machine

ID = "P8"
TITLE = "render every scorecard of a district wave (83 communities) to HTML"

OUT = Path(__file__).resolve().parent / "out"
DB = OUT / "p8_district.db"
PARAMS = {
    "seed": 20260501,
    "communities": 83,
    "streets": 11,
    "respondents": 180,
    "bootstrap": 200,
    "version": 1,
}


def _built() -> bool:
    if not DB.exists():
        return False
    try:
        with sqlite3.connect(DB) as conn:
            row = conn.execute("SELECT value FROM bench_params").fetchone()
    except sqlite3.Error:
        return False
    return bool(row) and row[0] == repr(sorted(PARAMS.items()))


def build() -> None:
    from api.services.snapshots import compute_snapshot
    from survey.storage.db import make_engine, session_scope
    from survey.storage.migrate import upgrade
    from survey.synthetic import generate_district
    from survey.synthetic.seed import seed_database

    OUT.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{DB}")
    upgrade(engine)
    district = generate_district(
        seed=PARAMS["seed"],
        n_streets=PARAMS["streets"],
        n_communities=PARAMS["communities"],
        respondents_per_community=PARAMS["respondents"],
    )
    seed_database(engine, district)
    for wave in district.wave_codes:
        with session_scope(engine) as session:
            compute_snapshot(
                session=session,
                wave_code=wave,
                model_name=None,
                bootstrap=PARAMS["bootstrap"],
                actor="bench",
            )
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE bench_params (value TEXT)")
        conn.exec_driver_sql("INSERT INTO bench_params VALUES (?)", (repr(sorted(PARAMS.items())),))
    engine.dispose()


def run(runs: int) -> dict[str, Any]:
    from sqlmodel import Session, select

    from api.officials.render import export_scorecards
    from api.services.snapshot_store import clear_cache
    from api.settings import Settings
    from survey.storage.db import make_engine
    from survey.storage.models import Community
    from survey.storage.registry import list_waves

    started = time.perf_counter()
    rebuilt = not _built()
    if rebuilt:
        build()
    build_s = time.perf_counter() - started
    engine = make_engine(f"sqlite:///{DB}")
    target = OUT / "p8_scorecards"
    times: list[float] = []
    files = 0
    size = 0
    with Session(engine) as session:
        wave = list_waves(session=session)[-1]
        communities = list(session.exec(select(Community).order_by(Community.code)).all())

        def once() -> None:
            nonlocal files, size
            clear_cache()
            shutil.rmtree(target, ignore_errors=True)
            paths = export_scorecards(
                session=session,
                wave=wave,
                communities=communities,
                out=target,
                model=None,
                comment_delay_days=Settings().comment_delay_days,
            )
            files = len(paths)
            size = sum(p.stat().st_size for p in paths)

        once()  # warm-up: imports, templates compiled
        for _ in range(runs):
            t0 = time.perf_counter()
            once()
            times.append(time.perf_counter() - t0)
    engine.dispose()
    median = statistics.median(times)
    return {
        "id": ID,
        "median_s": median,
        "min_s": min(times),
        "max_s": max(times),
        "files": files,
        "html_bytes": size,
        "per_scorecard_ms": median / max(files, 1) * 1000,
        "note": f"target ≤ 10 s; {files} scorecards, {median / max(files, 1) * 1000:.0f} ms "
        "each, snapshot cache emptied before every run",
        "params": {
            **PARAMS,
            "runs": runs,
            "wave": wave.code,
            "database_built_s": round(build_s, 1) if rebuilt else "reused",
            "machine": machine(),
        },
    }
