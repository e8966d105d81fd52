"""P7: reading rankings and scorecards at city scale, through the real server, from snapshots.

City scale: 3,000 communities in 100 streets, two waves, each scored once by ``scoring``
directly (``bench/_city.py``'s seeded wave, 300 respondents per community, B = 200) and stored
as a ``ScoreSnapshot`` exactly as ``api.services.snapshots`` would store it (``to_dict()`` plus
``community_meta``, ``strata_labels`` and ``wave``). The database is built once into
``bench/out/p7_city.db`` and reused while its parameters are unchanged.

Subjects, each an interleaved batch against the same server process:
- ``GET /api/v1/waves/W2/communities/{c}/scorecard`` for different communities (a scorecard
  includes the trend and the change since W1, so it reads both snapshots);
- ``GET /api/v1/waves/W2/rankings`` (all 3,000 rows, about 2 MB of JSON).
Reference: ``GET /api/v1/ping``. All requests send a staff bearer token (resolved as in
production: against the database, then from the process's credential cache for
``MEIHAO_AUTH_CACHE_SECONDS``) and ``Accept-Encoding: gzip`` (as browsers and
httpx do). Target: throughput ≥ 30% of the reference's, for the scorecard and for the ranking;
``ratio`` reports the smaller of the two. A second reference, ``GET /api/v1/me`` (the trivial
*signed-in* request: the same authentication work, no results), separates the cost of signing
in from the cost of reading results.

Workers: ``MEIHAO_BENCH_P7_WORKERS`` (default 1) uvicorn workers for subjects and references
alike (issue 15 asks for 4 as well); each worker keeps its own snapshot cache and credential
cache, so the first reads of every worker parse the snapshots (the warm-up batches cover it).
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._http_load import LoadResult, blast, server, wrk_available, wrk_blast
from bench.harness import machine

ID = "P7"
TITLE = "city-scale scorecard and ranking reads vs /api/v1/ping (from snapshots)"

OUT = Path(__file__).resolve().parent / "out"
DB = OUT / "p7_city.db"
PARAMS = {
    "communities": 3000,
    "streets": 100,
    "per_community": 300,
    "bootstrap": 200,
    "waves": 2,
    "version": 1,
}
CONCURRENCY = 32
SCORECARDS = 1_000
RANKINGS = 200
PING = 2_000
WRK_SECONDS = 4  # per timed batch when wrk generates the load


def _meta(data: Any, streets: int) -> list[dict[str, Any]]:
    m = data.m
    responses = np.bincount(data.group_index, minlength=m)
    cells = data.margins.shape[1]
    sample = np.bincount(data.group_index * cells + data.strata, minlength=m * cells).reshape(
        m, cells
    )
    housing = [
        "商品房小区",
        "老旧院落/企业职工生活区",
        "安置小区",
        "保障性住房/人才公寓",
        "自建房/城中村",
    ]
    return [
        {
            "code": code,
            "name": f"城市社区{i:04d}",
            "street": f"S{i % streets:03d}",
            "street_name": f"街道{i % streets:03d}",
            "housing_type": housing[i % len(housing)],
            "responses": int(responses[i]),
            "sample_cells": sample[i].tolist(),
            "population_cells": data.margins[i].tolist(),
        }
        for i, code in enumerate(data.group_codes)
    ]


def build() -> None:
    """Seed the reference data and store one scored snapshot per wave (about a minute)."""
    from sqlalchemy import insert
    from sqlmodel import Session

    from bench._city import city_wave
    from scoring.pipeline import score_wave
    from scoring.weight_model import builtin_model
    from survey.questionnaire.model import load_default
    from survey.storage.db import make_engine
    from survey.storage.migrate import upgrade
    from survey.storage.models import Community, ScoreSnapshot, Street, Wave
    from survey.storage.registry import store_questionnaire
    from survey.synthetic.seed import margin_labels

    OUT.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{DB}")
    upgrade(engine)
    questionnaire = load_default()
    labels = margin_labels(questionnaire)
    model = builtin_model("equal")
    with Session(engine) as session:
        record = store_questionnaire(session=session, questionnaire=questionnaire)
        waves = [
            Wave(code=c, questionnaire_id=record.id or 0, status="closed") for c in ("W1", "W2")
        ]
        session.add_all(waves)
        session.commit()
        for w in waves:
            session.refresh(w)
        street_table: Any = Street.__table__  # type: ignore[attr-defined]
        community_table: Any = Community.__table__  # type: ignore[attr-defined]
        session.connection().execute(
            insert(street_table),
            [{"code": f"S{s:03d}", "name": f"街道{s:03d}"} for s in range(PARAMS["streets"])],
        )
        session.commit()
        fw, data = city_wave(PARAMS["communities"], PARAMS["per_community"], seed=1)
        meta = _meta(data, PARAMS["streets"])
        street_ids: dict[str, int] = dict(
            session.connection().exec_driver_sql("SELECT code, id FROM street").fetchall()
        )
        session.connection().execute(
            insert(community_table),
            [
                {
                    "code": m["code"],
                    "name": m["name"],
                    "street_id": street_ids[m["street"]],
                    "housing_type": m["housing_type"],
                    "population": int(sum(m["population_cells"])),
                    "margins": dict(zip(labels, m["population_cells"], strict=True)),
                    "predecessors": [],
                }
                for m in meta
            ],
        )
        session.commit()
        for k, wave in enumerate(waves):
            if k:
                fw, data = city_wave(PARAMS["communities"], PARAMS["per_community"], seed=1 + k)
            result = score_wave(data, fw, model, bootstrap=PARAMS["bootstrap"], random_state=k)
            results = result.to_dict()
            results.update(
                community_meta=_meta(data, PARAMS["streets"]), strata_labels=labels, wave=wave.code
            )
            session.add(
                ScoreSnapshot(
                    wave_id=wave.id or 0,
                    model_name=model.name,
                    model_version=int(model.version),
                    data_hash="0" * 64,
                    results=results,
                )
            )
            session.commit()
        conn = session.connection()
        conn.exec_driver_sql("CREATE TABLE bench_params (value TEXT)")
        conn.exec_driver_sql("INSERT INTO bench_params VALUES (?)", (repr(sorted(PARAMS.items())),))
        session.commit()
    engine.dispose()


def _built() -> bool:
    import sqlite3

    if not DB.exists():
        return False
    try:
        with sqlite3.connect(DB) as conn:
            row = conn.execute("SELECT value FROM bench_params").fetchone()
    except sqlite3.Error:
        return False
    return bool(row) and row[0] == repr(sorted(PARAMS.items()))


def _token() -> str:
    from sqlmodel import Session, select

    from survey.storage.db import make_engine
    from survey.storage.models import User
    from survey.storage.users import create_user, issue_token

    engine = make_engine(f"sqlite:///{DB}")
    with Session(engine, expire_on_commit=False) as session:
        user = session.exec(select(User).where(User.username == "bench")).first()
        if user is None:
            user = create_user(
                session=session, username="bench", password="bench-password-1", role="official"
            )
        token, _ = issue_token(session=session, user=user, name="p7")
        session.commit()
    engine.dispose()
    return token


def _get(path: str, port: int, token: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Accept-Encoding: gzip\r\n\r\n"
    ).encode()


def _ok(result: LoadResult, what: str) -> LoadResult:
    if set(result.statuses) != {200}:
        raise AssertionError(f"{what}: unexpected statuses {dict(result.statuses)}")
    return result


def _generator() -> str:
    """``wrk`` when installed (``MEIHAO_BENCH_LOAD=python`` forces the asyncio generator)."""
    wanted = os.environ.get("MEIHAO_BENCH_LOAD", "wrk")
    return "wrk" if wanted == "wrk" and wrk_available() else "python"


def timed(port: int, requests: list[bytes], what: str) -> Any:
    """One timed batch: wrk for ``WRK_SECONDS`` cycling through ``requests``, or each of
    them once from the asyncio generator."""
    if _generator() == "wrk":
        distinct = list(dict.fromkeys(requests))  # wrk cycles through them
        result = wrk_blast(port, distinct, CONCURRENCY, WRK_SECONDS)
        if result.bad_statuses:
            raise AssertionError(f"{what}: {result.bad_statuses} responses were not 200")
        return result
    return _ok(blast(port, requests, CONCURRENCY), what)


def run(runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    rebuilt = not _built()
    if rebuilt:
        build()
    build_s = time.perf_counter() - started
    token = _token()
    env = {"MEIHAO_DATABASE_URL": f"sqlite:///{DB}", "MEIHAO_SECRET_KEY": "bench-secret"}
    rng = np.random.default_rng(7)
    codes = [f"C{i:04d}" for i in rng.integers(0, PARAMS["communities"], size=SCORECARDS)]
    cards: list[LoadResult] = []
    ranks: list[LoadResult] = []
    pings: list[LoadResult] = []
    mes: list[LoadResult] = []
    workers = int(os.environ.get("MEIHAO_BENCH_P7_WORKERS", "1"))
    with server(env, OUT / "p7_server.log", workers=workers) as port:
        card_reqs = [
            _get(f"/api/v1/waves/W2/communities/{c}/scorecard", port, token) for c in codes
        ]
        rank_reqs = [_get("/api/v1/waves/W2/rankings", port, token)] * RANKINGS
        ping_reqs = [_get("/api/v1/ping", port, token)] * PING
        me_reqs = [_get("/api/v1/me", port, token)] * PING
        first = time.perf_counter()
        _ok(blast(port, card_reqs[:1], 1), "first scorecard")  # parses both snapshots
        first_read_s = time.perf_counter() - first
        _ok(blast(port, card_reqs[: 200 * workers], CONCURRENCY), "warm-up scorecards")
        _ok(blast(port, rank_reqs[: 20 * workers], CONCURRENCY), "warm-up rankings")
        _ok(blast(port, ping_reqs[:500], CONCURRENCY), "warm-up ping")
        for _ in range(runs):  # interleaved, so machine noise hits all alike
            cards.append(timed(port, card_reqs, "scorecards"))
            ranks.append(timed(port, rank_reqs, "rankings"))
            pings.append(timed(port, ping_reqs, "ping"))
            mes.append(timed(port, me_reqs, "me"))
    card_tp = statistics.median(r.throughput for r in cards)
    rank_tp = statistics.median(r.throughput for r in ranks)
    ping_tp = statistics.median(r.throughput for r in pings)
    me_tp = statistics.median(r.throughput for r in mes)
    card_times = [SCORECARDS / r.throughput for r in cards]  # per SCORECARDS reads
    return {
        "id": ID,
        "median_s": statistics.median(card_times),  # one batch of scorecard reads
        "min_s": min(card_times),
        "max_s": max(card_times),
        "ref_median_s": statistics.median(PING / r.throughput for r in pings),  # per PING
        "ratio": min(card_tp, rank_tp) / ping_tp,
        "scorecard_ratio": card_tp / ping_tp,
        "rankings_ratio": rank_tp / ping_tp,
        "scorecard_per_s": card_tp,
        "rankings_per_s": rank_tp,
        "reference_per_s": ping_tp,
        "signed_in_trivial_per_s": me_tp,
        "scorecard_vs_signed_in_ratio": card_tp / me_tp,
        "rankings_vs_signed_in_ratio": rank_tp / me_tp,
        "scorecard_p99_ms": statistics.median(r.percentile_ms(99) for r in cards),
        "rankings_p99_ms": statistics.median(r.percentile_ms(99) for r in ranks),
        "first_read_ms": first_read_s * 1000,
        "note": f"target ratio ≥ 0.3; scorecard {card_tp / ping_tp:.2f}, rankings "
        f"{rank_tp / ping_tp:.2f} of ping; first read (parses 2 snapshots) "
        f"{first_read_s * 1000:.0f} ms; vs the signed-in trivial GET /api/v1/me (which is "
        f"{me_tp / ping_tp:.2f} of ping): scorecard {card_tp / me_tp:.2f}, rankings "
        f"{rank_tp / me_tp:.2f}",
        "params": {
            **PARAMS,
            "scorecard_requests": SCORECARDS,
            "ranking_requests": RANKINGS,
            "ping_requests": PING,
            "concurrency": CONCURRENCY,
            "runs": runs,
            "database_built_s": round(build_s, 1) if rebuilt else "reused",
            "server": f"python -m api.cli serve --workers {workers} (uvicorn), SQLite",
            "workers": workers,
            "auth": "bearer token on every request (subject and reference)",
            "load_generator": (
                f"wrk -t2 -c{CONCURRENCY} -d{WRK_SECONDS}s (Debian's package), same 2 cores"
                if _generator() == "wrk"
                else "bench/_http_load.py (asyncio, keep-alive), same 2 cores"
            ),
            "machine": machine(),
        },
    }
