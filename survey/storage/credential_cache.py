"""A few seconds' memory of whom a bearer token or a session id belongs to.

Every signed-in request resolves its credential: one indexed join of the token (or session) and
its user, ~180 µs on SQLite against ~3 µs from here (``python -m bench.auth_cache``), often
the only query a cached ranking needs. This cache keeps a *positive* answer for ``ttl`` seconds,
keyed on the credential's SHA-256 (the plain token is never held), so a burst of requests costs
one query.

Revocation:

- In this process, every function that ends a credential (revoke a token, sign out, change a
  password, disable an account) calls :meth:`CredentialCache.forget_user` or
  :meth:`CredentialCache.forget` *after its commit*: the next request sees the change.
- In other processes an entry lives until its TTL runs out, unless PostgreSQL's NOTIFY tells
  them first (survey/storage/credential_broadcast.py, usually milliseconds): **a revoked token,
  an ended session or a disabled account keeps working there for at most ``ttl`` seconds**
  (``MEIHAO_AUTH_CACHE_SECONDS``, default 5; 0 turns the cache off). A credential's own expiry is
  always honoured.

Only successful look-ups are cached: a wrong token never fills the cache, and the cache holds at
most ``maxsize`` entries (the oldest goes first).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from survey.storage.models import User, utcnow

DEFAULT_TTL_S = 5.0
DEFAULT_MAXSIZE = 10_000


@dataclass(frozen=True)
class _Entry:
    fresh_until: float  # monotonic clock
    user_id: int  # read once, at put: forgetting never touches the ORM instance
    user: User  # detached, as read; shared by the requests it answers (read-only)
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
        # Counts forgets: a look-up that read the database before a revocation committed must
        # not put its (now stale) answer back after the revocation forgot the key.
        self.generation = 0

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
        # The same detached instance for every request it answers: building a SQLModel instance
        # costs about as much as the query saved. Routes never change the signed-in user's
        # object (to change an account they load it with ``get_user``).
        return entry.user

    def put(
        self, key: str, user: User, expires_at: datetime | None, *, generation: int | None = None
    ) -> None:
        """Remember ``user`` for this credential; ``generation`` is :attr:`generation` as it
        was before the database was read (nothing is stored if a forget happened since)."""
        if self.ttl <= 0 or user.id is None:
            return
        entry = _Entry(
            fresh_until=self._clock() + self.ttl, user_id=user.id, user=user, expires_at=expires_at
        )
        with self._lock:
            if generation is not None and generation != self.generation:
                return
            self._entries.pop(key, None)
            while len(self._entries) >= self.maxsize:
                del self._entries[next(iter(self._entries))]  # oldest first (insertion order)
            self._entries[key] = entry

    def forget(self, key: str) -> None:
        with self._lock:
            self.generation += 1
            self._entries.pop(key, None)

    def forget_user(self, user_id: int | None) -> None:
        """Drop every credential of this user (disabled, password changed, token revoked)."""
        with self._lock:
            self.generation += 1
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


# The process's cache, shared by token and session look-ups (keys differ: SHA-256 of "mh_…"
# tokens and of "ms_…" session ids).
CREDENTIALS = CredentialCache()
