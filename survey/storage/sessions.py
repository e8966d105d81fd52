"""Server-side staff sessions: created at sign-in, checked on every request, revoked for good.

The browser's cookie holds 32 random bytes; the table holds their SHA-256 (like API tokens), so
a copy of the database does not sign anyone in. A session ends when it expires, on sign-out,
when the user's password changes, or when the account is deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col

from survey.storage.credential_broadcast import announce
from survey.storage.credential_cache import CREDENTIALS
from survey.storage.models import StaffSession, User, utcnow

SESSION_PREFIX = "ms_"
# last_seen_at is written at most this often: a signed-in page view must not cost a write.
TOUCH_EVERY = timedelta(minutes=5)

_SESSIONS: Any = StaffSession.__table__  # type: ignore[attr-defined]
_USERS: Any = User.__table__  # type: ignore[attr-defined]
_SESSION_USER = (
    sa_select(
        _SESSIONS.c.id.label("session_id"),
        _SESSIONS.c.expires_at,
        _SESSIONS.c.revoked_at,
        _SESSIONS.c.last_seen_at,
        *_USERS.c,
    )
    .join_from(_SESSIONS, _USERS, _SESSIONS.c.user_id == _USERS.c.id)
    .where(_SESSIONS.c.id_hash == bindparam("id_hash"))
)
_USER_COLUMNS = tuple(c.name for c in _USERS.c)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def create_session(*, session: Session, user: User, lifetime: timedelta) -> str:
    """A new session for ``user``; returns the id for the cookie (not stored)."""
    assert user.id is not None
    session_id = SESSION_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        StaffSession(
            id_hash=_hash(session_id),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    session.commit()
    return session_id


def resolve_session(*, session: Session, session_id: str, cached: bool = False) -> User | None:
    """The active user of a live session (detached instance), or None.

    ``cached``: answer from (and fill) the process's credential cache (requests; see
    survey/storage/credential_cache.py). A cached hit does not move ``last_seen_at``, which is
    written at most every :data:`TOUCH_EVERY` anyway.
    """
    if not session_id.startswith(SESSION_PREFIX) or len(session_id) > 128:
        return None
    key = _hash(session_id)
    if cached and (hit := CREDENTIALS.get(key)) is not None:
        return hit
    generation = CREDENTIALS.generation
    row = session.connection().execute(_SESSION_USER, {"id_hash": key}).mappings().first()
    now = utcnow()
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
        return None
    if not row["active"]:
        return None
    if now - row["last_seen_at"] >= TOUCH_EVERY:
        session.execute(
            update(StaffSession)
            .where(col(StaffSession.id) == row["session_id"])
            .values(last_seen_at=now)
        )
        session.commit()
    user = User(**{name: row[name] for name in _USER_COLUMNS})
    make_transient_to_detached(user)
    if cached:
        CREDENTIALS.put(key, user, row["expires_at"], generation=generation)
    return user


def revoke_session(*, session: Session, session_id: str) -> bool:
    """End one session (sign-out); True when a live one was ended."""
    result: Any = session.execute(
        update(StaffSession)
        .where(col(StaffSession.id_hash) == _hash(session_id))
        .where(col(StaffSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    announce(session, key=_hash(session_id))
    session.commit()
    CREDENTIALS.forget(_hash(session_id))
    return bool(result.rowcount)


def revoke_user_sessions(*, session: Session, user_id: int) -> int:
    """End every session of a user (password changed); the caller commits, then calls
    ``CREDENTIALS.forget_user(user_id)`` so this process stops accepting them at once."""
    result: Any = session.execute(
        update(StaffSession)
        .where(col(StaffSession.user_id) == user_id)
        .where(col(StaffSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount)
