"""P5: HTTP submissions through the real server, 64 clients, four configurations.

Configurations (issue 15): one and four uvicorn workers, each on SQLite and on PostgreSQL
(``MEIHAO_BENCH_P5=sqlite:1,postgresql:4`` picks some; PostgreSQL ones are skipped when no server
answers at ``bench.p4_matrix.PG_ADMIN``). Each configuration is its own server and database, with
its own interleaved reference on the same worker count; the row's ``ratio`` and ``p99_ms`` are
those of SQLite with one worker (the default deployment), the others are in ``configs``.

Subject: ``POST /api/v1/responses`` with valid, distinct submissions (a fresh client id each,
answers varied), 64 concurrent keep-alive connections. Reference, interleaved in the same run
against the same server process: ``GET /api/v1/ping`` (trivial JSON, no database), same count and
concurrency. Targets: subject throughput ≥ 50% of the reference's, p99 latency ≤ 250 ms.

Floor (``MEIHAO_BENCH_P5_FLOOR=1``, the default): the same bodies posted to do-nothing routes of
the real app (bench/_floor_app.py), interleaved with the ping: what the ratio would be if a
submission's own work were free, for an ``async def`` route (the submit route's shape since
issue 15) and for a ``def`` route with a session (its shape before).

The server is ``python -m api.cli serve`` on a SQLite file seeded like ``tests.support.factories.
seed_minimal`` (one street, two communities, the default questionnaire, one open wave); every
commit is fsynced (synchronous=FULL). The load generator is Python (asyncio, raw HTTP/1.1, see
``bench/_http_load.py``), not wrk, and shares the machine's two cores with the server.
"""

from __future__ import annotations

import json
import os
import statistics
import uuid
from pathlib import Path
from typing import Any

from bench._http_load import LoadResult, blast, get, post_json, server
from bench.harness import machine
from survey.storage.access import open_link_token

ID = "P5"
TITLE = "HTTP submissions, 64 clients, SQLite: throughput vs /api/v1/ping, p99"

OUT = Path(__file__).resolve().parent / "out"
REQUESTS = 2_000  # per timed batch, subject and reference alike
CONCURRENCY = 64
SUBMIT = "/api/v1/responses"
SECRET = "bench-secret"


def _sqlite_url() -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "p5_submit.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _postgres_url() -> str | None:
    """A fresh, empty ``meihao_bench_p5`` database, or None when PostgreSQL is not reachable."""
    from sqlalchemy import text

    from bench.p4_matrix import PG_ADMIN
    from survey.storage.db import make_engine

    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "meihao_bench_p5" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "meihao_bench_p5"'))
    except Exception:  # any driver error means: no server here
        return None
    finally:
        admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/meihao_bench_p5"


def _database(url: str) -> str:
    from survey.questionnaire.model import load_default
    from survey.storage.db import make_engine, session_scope
    from survey.storage.migrate import upgrade
    from survey.storage.models import Wave
    from survey.storage.registry import store_questionnaire, upsert_community, upsert_street

    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        street = upsert_street(session=session, code="S1", name="测试街道")
        for code in ("C1", "C2"):
            upsert_community(
                session=session,
                code=code,
                name=f"社区{code}",
                street=street,
                population=1000,
                margins={"60-69|female": 100.0},
            )
        record = store_questionnaire(session=session, questionnaire=load_default())
        session.add(Wave(code="W1", questionnaire_id=record.id or 0, status="open"))
    engine.dispose()
    return url


def _answers(k: int) -> dict[str, Any]:
    """A complete, valid answer set, varied with ``k`` (as ``factories.complete_answers``)."""
    from survey.questionnaire.model import load_default

    q = load_default()
    out: dict[str, Any] = {}
    for item in q.items:
        if item.kind == "likert":
            out[item.code] = 1 + (k + len(out)) % 5
        elif item.kind == "rating":
            out[item.code] = max(item.low, min(item.high, 1 + k % 10))
        elif item.kind == "single_choice":
            values = [o.value for o in item.options]
            out[item.code] = "yes" if "yes" in values else values[k % len(values)]
        elif item.kind == "multi_choice":
            values = [o.value for o in item.options]
            out[item.code] = [values[k % len(values)]]
    return q.validate_answers(out)


def _submissions(port: int, n: int, offset: int) -> list[bytes]:
    bodies = []
    for k in range(offset, offset + n):
        community = f"C{1 + k % 2}"
        body = {
            "link": open_link_token(secret=SECRET, wave_code="W1", community_code=community),
            "client_id": str(uuid.uuid4()),
            "answers": _answers(k % 50),
        }
        bodies.append(post_json(SUBMIT, port, json.dumps(body).encode()))
    return bodies


def _check(result: LoadResult, expected: int, what: str) -> None:
    if result.statuses != {expected: len(result.latencies_s)}:
        raise AssertionError(f"{what}: unexpected statuses {dict(result.statuses)}")


def _configs() -> list[tuple[str, int]]:
    wanted = os.environ.get("MEIHAO_BENCH_P5", "sqlite:1,sqlite:4,postgresql:1,postgresql:4")
    out = []
    for part in wanted.split(","):
        backend, _, workers = part.strip().partition(":")
        out.append((backend, int(workers or 1)))
    return out


def _measure(url: str, workers: int, runs: int) -> dict[str, Any]:
    env = {
        "MEIHAO_DATABASE_URL": _database(url),
        "MEIHAO_SECRET_KEY": SECRET,
        # The per-address limit protects residents' form; one load generator is one address.
        "MEIHAO_SUBMIT_RATE_PER_MINUTE": "1000000000",
    }
    subject: list[LoadResult] = []
    reference: list[LoadResult] = []
    backend = url.split(":", 1)[0].split("+", 1)[0]
    with server(env, OUT / f"p5_server_{backend}_{workers}.log", workers=workers) as port:
        ping = [get("/api/v1/ping", port)] * REQUESTS
        _check(blast(port, ping[:500], CONCURRENCY), 200, "warm-up ping")
        _check(blast(port, _submissions(port, 200, 0), CONCURRENCY), 201, "warm-up submit")
        for k in range(runs):  # interleaved, so machine noise hits both alike
            batch = _submissions(port, REQUESTS, 1_000 + k * REQUESTS)
            subject.append(blast(port, batch, CONCURRENCY))
            _check(subject[-1], 201, "submit")
            reference.append(blast(port, ping, CONCURRENCY))
            _check(reference[-1], 200, "ping")
    times = [r.elapsed_s for r in subject]
    ref_times = [r.elapsed_s for r in reference]
    median_s, ref_median_s = statistics.median(times), statistics.median(ref_times)
    return {
        "median_s": median_s,
        "min_s": min(times),
        "max_s": max(times),
        "ref_median_s": ref_median_s,
        "ratio": ref_median_s / median_s,  # = subject throughput / reference throughput
        "p99_ms": statistics.median(r.percentile_ms(99) for r in subject),
        "p50_ms": statistics.median(r.percentile_ms(50) for r in subject),
        "ref_p99_ms": statistics.median(r.percentile_ms(99) for r in reference),
        "subject_per_s": REQUESTS / median_s,
        "reference_per_s": REQUESTS / ref_median_s,
    }


def _floor(runs: int) -> dict[str, Any]:
    """What a submission would reach if its own work were free (bench/_floor_app.py): the same
    bodies to do-nothing routes of the real app, interleaved with the ping, SQLite, 1 worker."""
    env = {
        "MEIHAO_DATABASE_URL": _database(_sqlite_url()),
        "MEIHAO_SECRET_KEY": SECRET,
        "MEIHAO_SUBMIT_RATE_PER_MINUTE": "1000000000",
    }
    rates: dict[str, list[float]] = {"ping": [], "floor_async": [], "floor_sync": []}
    with server(env, OUT / "p5_floor.log", module="bench._floor_app") as port:
        ping = [get("/api/v1/ping", port)] * REQUESTS
        bodies = _submissions(port, REQUESTS, 0)
        routes = {
            "floor_async": [b.replace(SUBMIT.encode(), b"/bench/floor-async", 1) for b in bodies],
            "floor_sync": [b.replace(SUBMIT.encode(), b"/bench/floor-sync", 1) for b in bodies],
        }
        blast(port, ping[:500], CONCURRENCY)
        for _ in range(runs):
            rates["ping"].append(blast(port, ping, CONCURRENCY).throughput)
            for name, batch in routes.items():
                result = blast(port, batch, CONCURRENCY)
                _check(result, 201, name)
                rates[name].append(result.throughput)
    ping_rate = statistics.median(rates["ping"])
    return {
        "ping_per_s": ping_rate,
        **{f"{k}_per_s": statistics.median(v) for k, v in rates.items() if k != "ping"},
        **{f"{k}_ratio": statistics.median(v) / ping_rate for k, v in rates.items() if k != "ping"},
    }


def run(runs: int) -> dict[str, Any]:
    configs: dict[str, dict[str, Any]] = {}
    for backend, workers in _configs():
        url = _sqlite_url() if backend == "sqlite" else _postgres_url()
        if url is None:
            configs[f"{backend}:{workers}"] = {"skipped": "PostgreSQL not reachable"}
            continue
        configs[f"{backend}:{workers}"] = _measure(url, workers, runs)
    floor = _floor(runs) if os.environ.get("MEIHAO_BENCH_P5_FLOOR", "1") == "1" else None
    measured = {k: v for k, v in configs.items() if "ratio" in v}
    main = measured.get("sqlite:1") or next(iter(measured.values()))
    summary = "; ".join(
        f"{k} {v['ratio']:.2f} p99 {v['p99_ms']:.0f} ms" for k, v in measured.items()
    )
    if floor is not None:
        summary += (
            f"; floor (do-nothing POST of the same body, sqlite:1): async"
            f" {floor['floor_async_ratio']:.2f}, def with a session {floor['floor_sync_ratio']:.2f}"
        )
    return {
        "id": ID,
        **main,
        "note": f"targets: ratio ≥ 0.5, p99 ≤ 250 ms; {summary}",
        "configs": configs,
        "floor": floor,
        "params": {
            "requests_per_batch": REQUESTS,
            "concurrency": CONCURRENCY,
            "runs": runs,
            "server": "python -m api.cli serve --workers N (uvicorn), SQLite WAL synchronous=FULL"
            " or PostgreSQL (default fsync)",
            "load_generator": "Python asyncio raw HTTP/1.1 keep-alive (bench/_http_load.py"
            "), a separate process on the same 2 cores",
            "machine": machine(),
        },
    }
