"""A few seconds' memory of whom a bearer token or a session id belongs to.

Every signed-in request resolves its credential: one indexed join of the token (or session) and
its user, about 180 µs on SQLite (``python -m bench.auth_cache``), often the only query a cached
ranking needs. This cache keeps a *positive* answer for ``ttl`` seconds, keyed on the
credential's SHA-256 (the plain token is never held), so a burst of requests costs one query.

Revocation:

- In this process, every function that ends a credential (revoke a token, sign out, change a
  password, disable an account) calls :meth:`CredentialCache.forget_user` or
  :meth:`CredentialCache.forget` *after its commit*: the next request sees the change.
- In other processes an entry lives until its TTL runs out: **a revoked token, an ended session
  or a disabled account keeps working there for at most ``ttl`` seconds** (``MEIHAO_AUTH_CACHE_
  SECONDS``, default 5; 0 turns the cache off). A credential's own expiry is always honoured.

Only successful look-ups are cached: a wrong token never fills the cache, and the cache holds at
most ``maxsize`` entries (the oldest goes first).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import make_transient_to_detached

from survey.storage.models import User, utcnow

DEFAULT_TTL_S = 5.0
DEFAULT_MAXSIZE = 10_000


@dataclass(frozen=True)
class _Entry:
    fresh_until: float  # monotonic clock
    user_id: int
    user: dict[str, Any]  # the user's columns, as read
    expires_at: datetime | None  # the credential's own expiry


class CredentialCache:
    """Credential hash → its user, for ``ttl`` seconds (thread-safe, bounded)."""

    def __init__(
        self,
        ttl: float = DEFAULT_TTL_S,
        maxsize: int = DEFAULT_MAXSIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.maxsize = maxsize
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def configure(self, *, ttl: float) -> None:
        """Set the TTL (settings); a change drops what is cached."""
        with self._lock:
            self.ttl = max(0.0, float(ttl))
            self._entries.clear()

    def get(self, key: str) -> User | None:
        """The cached user of this credential hash, or None (not cached, stale or expired)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.fresh_until <= self._clock() or (
            entry.expires_at is not None and _aware(entry.expires_at) <= utcnow()
        ):
            with self._lock:
                if self._entries.get(key) is entry:
                    del self._entries[key]
            return None
        # A new detached instance per request: a route that changes its user cannot change
        # what the next request is given.
        user = User(**entry.user)
        make_transient_to_detached(user)
        return user

    def put(self, key: str, user: User, expires_at: datetime | None) -> None:
        if self.ttl <= 0 or user.id is None:
            return
        entry = _Entry(
            fresh_until=self._clock() + self.ttl,
            user_id=user.id,
            user={c: getattr(user, c) for c in _USER_COLUMNS},
            expires_at=expires_at,
        )
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self.maxsize:
                del self._entries[next(iter(self._entries))]  # oldest first (insertion order)
            self._entries[key] = entry

    def forget(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def forget_user(self, user_id: int | None) -> None:
        """Drop every credential of this user (disabled, password changed, token revoked)."""
        with self._lock:
            for key in [k for k, e in self._entries.items() if e.user_id == user_id]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


_USER_COLUMNS = tuple(c.name for c in User.__table__.columns)  # type: ignore[attr-defined]

# The process's cache, shared by token and session look-ups (keys differ: SHA-256 of "mh_…"
# tokens and of "ms_…" session ids).
CREDENTIALS = CredentialCache()
