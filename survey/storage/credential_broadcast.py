"""Telling every server process on one PostgreSQL that a credential ended (LISTEN/NOTIFY).

Each process keeps a few seconds' memory of credentials (survey/storage/credential_cache.py).
Without this module a revocation made by one process is seen by the others only when their
entry ages out (the TTL). With it, the transaction that revokes a token, ends a session, changes
a password or disables an account also sends ``NOTIFY meihao_credentials`` (PostgreSQL delivers
it when, and only if, that transaction commits), and a :class:`Listener` thread in each server
process drops the entries named. Delivery takes milliseconds but is not part of the request
that revoked, so the TTL remains the bound that is promised; the listener makes the usual case
immediate. If the listener loses its connection it empties the cache and reconnects (nothing
stale can outlive a missed notification). SQLite has no such channel: there the TTL alone bounds
what another process sees.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from survey.storage.credential_cache import CREDENTIALS, CredentialCache

CHANNEL = "meihao_credentials"
RECONNECT_S = 1.0
POLL_S = 0.25  # how often the listener looks at its stop flag (what shutting down waits)
log = logging.getLogger(__name__)


def announce(session: Session, *, user_id: int | None = None, key: str | None = None) -> None:
    """Queue a notification in ``session``'s transaction (PostgreSQL only; the caller commits)."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    payload = f"user:{user_id}" if user_id is not None else f"key:{key}"
    session.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
    )


def apply(payload: str, cache: CredentialCache = CREDENTIALS) -> None:
    """Forget what a notification names (an unknown payload empties the cache, to be safe)."""
    kind, _, value = payload.partition(":")
    if kind == "user" and value.isdigit():
        cache.forget_user(int(value))
    elif kind == "key" and value:
        cache.forget(value)
    else:
        cache.clear()


class Listener:
    """A daemon thread that LISTENs on :data:`CHANNEL` and applies what arrives."""

    def __init__(self, engine: Engine, cache: CredentialCache = CREDENTIALS) -> None:
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._cache = cache
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="credential-listener")
        self.ready = threading.Event()  # set once LISTEN is in place (tests wait for it)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.ready.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=POLL_S):
                            apply(note.payload, self._cache)
            except Exception as error:  # the database went away: forget everything, retry
                self.ready.clear()
                self._cache.clear()
                log.warning("credential listener: %s; reconnecting", error)
                self._stop.wait(RECONNECT_S)


def start_listener(engine: Engine, cache: CredentialCache = CREDENTIALS) -> Any:
    """A running :class:`Listener` on PostgreSQL with the cache on; ``None`` otherwise."""
    if engine.dialect.name != "postgresql" or cache.ttl <= 0:
        return None
    return Listener(engine, cache).start()
