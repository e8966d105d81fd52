"""Not losing responses (RELIABILITY.md), shown against the real server process.

Concurrent identical retries leave one row; and a server SIGKILLed again and again in the middle
of a stream of submissions loses no acknowledged answer and stores none twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from tests.support.factories import complete_answers, link_token, new_client_id, seed_minimal
from tests.support.live import LiveServer, start_server, stop_server

pytestmark = pytest.mark.e2e

SUBMIT = "/api/v1/responses"
ANSWERS = complete_answers()


def payload(client_id: str, community: str = "C1") -> dict[str, Any]:
    return {
        "link": link_token("W1", community),
        "client_id": client_id,
        "answers": ANSWERS,
    }


def env_for(url: str) -> dict[str, str]:
    from tests.support.live import server_env

    # The per-address submission limit would throttle a test that posts from one address.
    return server_env(
        url, MEIHAO_SUBMIT_RATE_PER_MINUTE="1000000", MEIHAO_PAGE_RATE_PER_MINUTE="1000000"
    )


def prepared(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    seed_minimal(engine)
    return engine


def stored_ids(engine: Engine) -> dict[str, int]:
    """client id → number of rows holding it."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT client_id, COUNT(*) FROM response GROUP BY client_id"))
        return {client_id: n for client_id, n in rows}


@pytest.fixture
def server_log(tmp_path: Path) -> Iterator[Path]:
    log = tmp_path / "server.log"
    yield log
    # On failure the log is what explains it; pytest shows captured output.
    if log.exists():
        print(log.read_text(errors="replace")[-4000:])


def fire_together(server: LiveServer, body: dict[str, Any], n: int) -> list[httpx.Response]:
    """``n`` threads, each with its own connection, post ``body`` at the same moment."""
    barrier = threading.Barrier(n)
    answers: list[httpx.Response | BaseException] = [RuntimeError("not run")] * n

    def post(k: int) -> None:
        with server.client() as client:
            client.get("/api/v1/ping")  # connect first, so the posts race on the database
            barrier.wait(timeout=30)
            try:
                answers[k] = client.post(SUBMIT, json=body)
            except httpx.HTTPError as exc:
                answers[k] = exc

    threads = [threading.Thread(target=post, args=(k,)) for k in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    failures = [a for a in answers if not isinstance(a, httpx.Response)]
    assert not failures, failures
    return [a for a in answers if isinstance(a, httpx.Response)]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_twenty_identical_concurrent_submissions_store_one_row(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, server_log: Path
) -> None:
    url = (
        f"sqlite:///{tmp_path}/durable.db"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    engine = prepared(url)
    client_id = new_client_id()
    server = start_server(env_for(url), log=server_log)
    try:
        replies = fire_together(server, payload(client_id), 20)
    finally:
        stop_server(server)
    statuses = sorted(r.status_code for r in replies)
    assert set(statuses) <= {200, 201}, [r.text for r in replies if r.status_code >= 300]
    assert statuses.count(201) == 1  # one creation; the other 19 are answered as retries
    assert len({r.json()["id"] for r in replies}) == 1
    assert {r.json()["client_id"] for r in replies} == {client_id}
    assert stored_ids(engine) == {client_id: 1}
    engine.dispose()


class Stream:
    """Threads posting distinct submissions until the server goes away under them."""

    def __init__(self, server: LiveServer, threads: int) -> None:
        self.server = server
        self.acknowledged: set[str] = set()
        self.unanswered: set[str] = set()  # posted, no reply: maybe stored, maybe not
        self.refused: list[str] = []  # any non-201 reply: the test fails on it
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._post_until_gone) for _ in range(threads)]

    def _post_until_gone(self) -> None:
        with self.server.client() as client:
            while True:
                client_id = new_client_id()
                try:
                    reply = client.post(SUBMIT, json=payload(client_id, "C2"))
                except httpx.HTTPError:
                    with self.lock:
                        self.unanswered.add(client_id)
                    return
                with self.lock:
                    if reply.status_code != 201:
                        self.refused.append(f"{reply.status_code} {reply.text[:200]}")
                        return
                    self.acknowledged.add(client_id)

    def run_until(self, acknowledged: int) -> None:
        for thread in self.threads:
            thread.start()
        while len(self.acknowledged) < acknowledged:
            assert not self.refused, self.refused
            assert any(t.is_alive() for t in self.threads), "the stream stopped by itself"
            threading.Event().wait(0.01)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=30)
            assert not thread.is_alive()


def test_sigkill_mid_stream_loses_no_acknowledged_response(
    sqlite_url: str, server_log: Path
) -> None:
    engine = prepared(sqlite_url)
    env = env_for(sqlite_url)
    acknowledged: set[str] = set()
    unanswered: set[str] = set()
    for _round in range(3):
        server = start_server(env, log=server_log)
        stream = Stream(server, threads=4)
        stream.run_until(acknowledged=15)
        stop_server(server, kill=True)  # SIGKILL: no shutdown, no flush, mid-request
        stream.join()
        assert not stream.refused, stream.refused
        acknowledged |= stream.acknowledged
        unanswered |= stream.unanswered
        # Each thread ends on the post the kill cut off (or the first one after it).
        assert len(stream.unanswered) == len(stream.threads)

        stored = stored_ids(engine)
        assert acknowledged <= stored.keys(), "an acknowledged response was lost"
        assert set(stored.values()) == {1}, "a response was stored twice"
        assert stored.keys() <= acknowledged | unanswered, "a row nobody submitted"
        assert len(acknowledged) <= len(stored) <= len(acknowledged) + len(unanswered)

    # The residents whose phones got no answer retry; each retry is answered, none doubles.
    server = start_server(env, log=server_log)
    try:
        with server.client() as client:
            for client_id in sorted(unanswered):
                reply = client.post(SUBMIT, json=payload(client_id, "C2"))
                assert reply.status_code in (200, 201), reply.text
    finally:
        stop_server(server)
    stored = stored_ids(engine)
    assert stored.keys() == acknowledged | unanswered and set(stored.values()) == {1}
    engine.dispose()
