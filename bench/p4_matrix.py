"""P4: load one city-scale wave (3,000 communities × 300) from the database into the matrix.

Subject: ``survey.storage.matrix.load_wave_matrix`` (one SELECT of the packed vectors, one
``numpy.frombuffer``, community look-ups, strata, margins). Reference, interleaved: a raw
``SELECT`` of the same rows and columns with the DB driver itself (``sqlite3`` / ``psycopg``),
``fetchall()`` and nothing else. Target: ≤ 15 s and within 2× of the reference.

The city is seeded once with ``survey.synthetic.seed.seed_database`` (several minutes) and cached:
the SQLite file under ``bench/out/`` (git-ignored), and on PostgreSQL, when a server is reachable
(``MEIHAO_TEST_POSTGRES_URL``, as for the tests), a database ``meihao_bench_p4`` that is kept.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from bench.harness import interleaved, machine, summary

ID = "P4"
TITLE = "wave → numeric matrix at city scale vs raw driver SELECT (SQLite, PostgreSQL)"

OUT = Path(__file__).resolve().parent / "out"
SCALE = {"seed": 4, "streets": 260, "communities": 3000, "respondents_per_community": 300}
WAVE = "P4CITY"
PG_ADMIN = os.environ.get(
    "MEIHAO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_DATABASE = "meihao_bench_p4"
COLUMNS = "id, community_id, duration_s, numeric, quality_flags"


def _district() -> Any:
    from survey.synthetic import generate_district

    return generate_district(
        seed=SCALE["seed"],
        n_streets=SCALE["streets"],
        n_communities=SCALE["communities"],
        waves=(WAVE,),
        respondents_per_community=SCALE["respondents_per_community"],
    )


def _seed(url: str) -> int:
    from survey.storage.db import make_engine
    from survey.storage.migrate import upgrade
    from survey.synthetic.seed import seed_database

    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    report = seed_database(engine, _district())
    engine.dispose()
    print(
        f"     seeded {report} into {url.split('@')[-1]} in "
        f"{time.perf_counter() - started:.0f} s (cached for the next runs)"
    )
    return report.responses


def sqlite_city() -> tuple[str, int]:
    """The cached city SQLite file (seeded on first use) and its number of responses."""
    OUT.mkdir(parents=True, exist_ok=True)
    path, marker = OUT / "p4_city.db", OUT / "p4_city.json"
    if marker.exists() and path.exists() and json.loads(marker.read_text())["scale"] == SCALE:
        return f"sqlite:///{path}", int(json.loads(marker.read_text())["responses"])
    partial = OUT / "p4_city.partial.db"
    for stale in (path, partial):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{stale}{suffix}").unlink(missing_ok=True)
    responses = _seed(f"sqlite:///{partial}")
    conn = sqlite3.connect(partial)  # fold the WAL in before the rename
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    partial.rename(path)
    marker.write_text(json.dumps({"scale": SCALE, "responses": responses}))
    return f"sqlite:///{path}", responses


def postgres_city(responses: int) -> str | None:
    """The cached city database on PostgreSQL, or None when no server is reachable."""
    from sqlalchemy import text

    from survey.storage.db import make_engine

    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = (
                conn.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_DATABASE}
                ).first()
                is not None
            )
    except Exception:  # any driver error means: no server here
        admin.dispose()
        return None
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
    if exists and _pg_count(url) == responses:
        admin.dispose()
        return url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    admin.dispose()
    _seed(url)
    return url


def _pg_count(url: str) -> int:
    import psycopg

    try:
        with psycopg.connect(_driver_url(url)) as conn:
            row = conn.execute(
                "SELECT count(*) FROM response r JOIN wave w ON w.id = r.wave_id WHERE w.code = %s",
                (WAVE,),
            ).fetchone()
    except psycopg.Error:
        return -1
    return int(row[0]) if row else -1


def _driver_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _measure(url: str, runs: int) -> dict[str, Any]:
    from sqlmodel import Session

    from survey.storage.db import make_engine
    from survey.storage.matrix import load_wave_matrix

    engine = make_engine(url)
    shapes: list[tuple[int, int]] = []

    def subject() -> None:
        with Session(engine) as session:
            matrix = load_wave_matrix(session=session, wave_code=WAVE)
        shapes.append(matrix.X.shape)

    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")

        def reference() -> None:
            with closing(sqlite3.connect(path)) as conn:
                (wave_id,) = conn.execute("SELECT id FROM wave WHERE code = ?", (WAVE,)).fetchone()
                conn.execute(
                    f"SELECT {COLUMNS} FROM response WHERE wave_id = ? ORDER BY id", (wave_id,)
                ).fetchall()
    else:
        import psycopg

        def reference() -> None:
            with psycopg.connect(_driver_url(url)) as conn:
                row = conn.execute("SELECT id FROM wave WHERE code = %s", (WAVE,)).fetchone()
                assert row is not None
                conn.execute(
                    f"SELECT {COLUMNS} FROM response WHERE wave_id = %s ORDER BY id", (row[0],)
                ).fetchall()

    subj, ref = interleaved(subject, reference, runs=runs)
    engine.dispose()
    s = summary(subj)
    ref_median = statistics.median(ref)
    return {
        **s,
        "ref_median_s": ref_median,
        "ratio": s["median_s"] / ref_median,
        "shape": list(shapes[-1]),
    }


def run(runs: int) -> dict[str, Any]:
    sqlite_url, responses = sqlite_city()
    lite = _measure(sqlite_url, runs)
    pg_url = postgres_city(responses)
    pg = _measure(pg_url, runs) if pg_url else None
    note = (
        f"SQLite {lite['median_s']:.2f} s = {lite['ratio']:.2f}× raw"
        + (
            f"; PostgreSQL {pg['median_s']:.2f} s = {pg['ratio']:.2f}× raw"
            if pg
            else "; PostgreSQL not reachable"
        )
        + " (targets ≤ 15 s, ≤ 2×)"
    )
    return {
        "id": ID,
        "median_s": lite["median_s"],
        "min_s": lite["min_s"],
        "max_s": lite["max_s"],
        "ref_median_s": lite["ref_median_s"],
        # P4's target is "within 2×": the ratio here is subject/reference (lower is better).
        "ratio": lite["ratio"],
        "postgres": pg,
        "note": note,
        "params": {
            **SCALE,
            "rows": responses,
            "matrix_shape": lite["shape"],
            "runs": runs,
            "subject": "survey.storage.matrix.load_wave_matrix",
            "reference": f"driver SELECT {COLUMNS} ... fetchall()",
            "machine": machine(),
        },
    }
