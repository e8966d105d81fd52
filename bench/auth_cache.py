"""What a signed-in request's credential check costs, with and without the credential cache:
``python -m bench.auth_cache`` (SQLite in a temporary directory; prints µs per look-up).

Not one of the numbered benchmarks (no ``ID``): it measures one function, to justify the cache
(docs/access.md, Credential cache).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session

from survey.storage.credential_cache import CREDENTIALS
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from survey.storage.sessions import create_session, resolve_session
from survey.storage.users import create_user, issue_token, resolve_token

ROUNDS = 3000


def _per_call_us(engine: object, look_up: Callable[[Session], object]) -> float:
    with Session(engine) as session:  # type: ignore[call-overload]
        assert look_up(session) is not None
        started = time.perf_counter()
        for _ in range(ROUNDS):
            look_up(session)
            session.rollback()  # each request ends its transaction
        return (time.perf_counter() - started) / ROUNDS * 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'auth.db'}")
        upgrade(engine)
        with Session(engine, expire_on_commit=False) as session:
            user = create_user(session=session, username="a", password="x" * 12, role="admin")
            token, _ = issue_token(session=session, user=user)
            sid = create_session(session=session, user=user, lifetime=timedelta(hours=1))
        CREDENTIALS.configure(ttl=60)
        for name, cached in (("database", False), ("cached", True)):
            tok = _per_call_us(
                engine, lambda s, c=cached: resolve_token(session=s, token=token, cached=c)
            )
            ses = _per_call_us(
                engine, lambda s, c=cached: resolve_session(session=s, session_id=sid, cached=c)
            )
            print(f"{name:>8}: token {tok:7.1f} µs   session {ses:7.1f} µs")
        engine.dispose()
    for ttl in (0.0, 5.0):
        print(f"GET /api/v1/me with a token, cache TTL {ttl:g} s: {_signed_in_get_ms(ttl):.2f} ms")


def _signed_in_get_ms(ttl: float, rounds: int = 500) -> float:
    """A whole signed-in request in-process (TestClient: its own overhead included)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'app.db'}"
        app = create_app(Settings(database_url=url, secret_key="bench", auth_cache_seconds=ttl))
        with TestClient(app) as client:
            with Session(app.state.engine, expire_on_commit=False) as session:
                user = create_user(session=session, username="r", password="x" * 12, role="admin")
                token, _ = issue_token(session=session, user=user)
            headers = {"Authorization": f"Bearer {token}"}
            for _ in range(50):
                client.get("/api/v1/me", headers=headers)
            started = time.perf_counter()
            for _ in range(rounds):
                assert client.get("/api/v1/me", headers=headers).status_code == 200
            return (time.perf_counter() - started) / rounds * 1e3


if __name__ == "__main__":
    main()
