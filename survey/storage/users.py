"""Staff accounts, passwords and API tokens (residents never have accounts).

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile) and
re-hashed on the next successful login when those parameters change. API tokens are 32 random
bytes stored as their SHA-256 (see :class:`survey.storage.models.ApiToken` for why that suffices).
Failed logins are written to the append-only audit table, which is also what throttling counts,
so the limit holds across worker processes and restarts.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import bindparam, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from survey.errors import ConflictError, NotFoundError, SurveyError
from survey.storage.credential_broadcast import announce
from survey.storage.credential_cache import CREDENTIALS
from survey.storage.models import ApiToken, AuditEvent, Community, Street, User, utcnow
from survey.storage.sessions import revoke_user_sessions

ROLES = ("admin", "researcher", "official", "enumerator")
# Roles whose staff may enter residents' answers (door-to-door, paper) through the JSON API.
ENTRY_ROLES = ("admin", "enumerator")
# Roles whose scope narrows what they see or enter (the others work on the whole district).
SCOPED_ROLES = ("official", "enumerator")
SCOPE_LEVELS = ("district", "street", "community")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes anything, but a megabyte "password" is an attack
MAX_USERNAME_LENGTH = 64
TOKEN_PREFIX = "mh_"
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)

_hasher = PasswordHasher()


class UserInputError(SurveyError):
    """A user or token request that does not make sense (unknown role, short password...)."""


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password-just-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserInputError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserInputError(f"password must have at most {MAX_PASSWORD_LENGTH} characters")


def _check_scope(*, session: Session, role: str, scope_level: str, scope_code: str) -> None:
    if role not in ROLES:
        raise UserInputError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if scope_level not in SCOPE_LEVELS:
        raise UserInputError(
            f"scope level must be one of {', '.join(SCOPE_LEVELS)}, not {scope_level!r}"
        )
    if role not in SCOPED_ROLES and (scope_level != "district" or scope_code):
        # Researchers and admins work on the whole district; a narrower scope would suggest a
        # restriction that is not enforced for them.
        raise UserInputError(f"a {role} has the district scope (no --scope-level/--scope-code)")
    if scope_level == "district":
        if scope_code:
            raise UserInputError("the district scope takes no scope code")
        return
    if not scope_code:
        raise UserInputError(f"a {scope_level} scope needs the {scope_level}'s code")
    table = Street if scope_level == "street" else Community
    if session.exec(select(table).where(table.code == scope_code)).first() is None:
        raise UserInputError(f"no {scope_level} with code {scope_code!r}")


def create_user(
    *,
    session: Session,
    username: str,
    password: str,
    role: str,
    scope_level: str = "district",
    scope_code: str = "",
    actor: str = "system",
) -> User:
    """Create a staff account after checking role, scope and password; commits."""
    username = username.strip()
    if not username or len(username) > MAX_USERNAME_LENGTH or not username.isprintable():
        raise UserInputError(f"username must be 1–{MAX_USERNAME_LENGTH} printable characters")
    _check_password(password)
    _check_scope(session=session, role=role, scope_level=scope_level, scope_code=scope_code)
    if get_user(session=session, username=username) is not None:
        raise ConflictError(f"user {username!r} already exists")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        scope_level=scope_level,
        scope_code=scope_code,
    )
    session.add(user)
    session.add(
        AuditEvent(
            actor=actor,
            action="create_user",
            target=username,
            detail={"role": role, "scope_level": scope_level, "scope_code": scope_code},
        )
    )
    session.commit()
    session.refresh(user)
    return user


def set_password(*, session: Session, username: str, password: str, actor: str) -> User:
    """Replace a password; every signed-in session of that user ends (survey/storage/sessions)."""
    user = get_user(session=session, username=username)
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    _check_password(password)
    user.password_hash = hash_password(password)
    session.add(user)
    assert user.id is not None
    ended = revoke_user_sessions(session=session, user_id=user.id)
    session.add(
        AuditEvent(
            actor=actor, action="set_password", target=username, detail={"sessions_ended": ended}
        )
    )
    announce(session, user_id=user.id)
    session.commit()
    CREDENTIALS.forget_user(user.id)
    session.refresh(user)
    return user


def get_user(*, session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def count_users(*, session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(User)).one())


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None.

    An unknown or inactive username still costs one argon2 verification, so the response time
    does not tell an attacker which usernames exist.
    """
    user = None
    if 0 < len(username) <= MAX_USERNAME_LENGTH and len(password) <= MAX_PASSWORD_LENGTH:
        user = get_user(session=session, username=username)
    if user is None or not user.active:
        _verify(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        return None
    if not _verify(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def record_login(*, session: Session, username: str, succeeded: bool, channel: str) -> None:
    """Append a ``login`` or ``login_failed`` audit event (throttling counts the latter)."""
    session.add(
        AuditEvent(
            actor=username[:MAX_USERNAME_LENGTH],
            action="login" if succeeded else "login_failed",
            target=username[:MAX_USERNAME_LENGTH],
            detail={"channel": channel},
        )
    )
    session.commit()


def recent_failed_logins(
    *, session: Session, username: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many sign-ins of ``username`` failed after ``since`` and after its last successful
    one, and when the oldest of those happened (for Retry-After).

    A success resets the count: only someone who knows the password can cause one.
    """
    name = username[:MAX_USERNAME_LENGTH]
    last_success = session.exec(
        select(func.max(AuditEvent.at)).where(
            AuditEvent.action == "login", AuditEvent.target == name, col(AuditEvent.at) >= since
        )
    ).one()
    start = max(since, last_success) if last_success is not None else since
    count, oldest = session.exec(
        select(func.count(), func.min(AuditEvent.at)).where(
            AuditEvent.action == "login_failed",
            AuditEvent.target == name,
            col(AuditEvent.at) > start if last_success is not None else col(AuditEvent.at) >= start,
        )
    ).one()
    return int(count), oldest


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    *,
    session: Session,
    user: User,
    name: str = "",
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    actor: str | None = None,
) -> tuple[str, ApiToken]:
    """A new bearer token for ``user``: the plain token (show it once) and its stored row.

    ``actor`` is who asked (an admin issuing a token for someone else); default the owner."""
    if len(name) > 64:
        raise UserInputError("token name must have at most 64 characters")
    assert user.id is not None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        token_hash=_token_hash(token), user_id=user.id, name=name, expires_at=utcnow() + lifetime
    )
    session.add(row)
    session.flush()
    session.add(
        AuditEvent(
            actor=actor or user.username,
            action="issue_token",
            target=str(row.id),
            detail={
                "name": name,
                "expires_at": row.expires_at.isoformat() if row.expires_at else None,
            },
        )
    )
    session.commit()
    session.refresh(row)
    return token, row


# Every API request resolves its token: one prepared Core statement (token and user joined)
# costs about a quarter of the two ORM queries it replaces (PERFORMANCE.md P7). Requests ask
# with ``cached=True``: a positive answer is then kept a few seconds in this process
# (survey/storage/credential_cache.py, which also says how revocation reaches it).
_TOKENS: Any = ApiToken.__table__  # type: ignore[attr-defined]
_USERS: Any = User.__table__  # type: ignore[attr-defined]
_TOKEN_USER = (
    sa_select(_TOKENS.c.expires_at, _TOKENS.c.revoked_at, *_USERS.c)
    .join_from(_TOKENS, _USERS, _TOKENS.c.user_id == _USERS.c.id)
    .where(_TOKENS.c.token_hash == bindparam("token_hash"))
)
_USER_COLUMNS = tuple(c.name for c in _USERS.c)


def resolve_token(*, session: Session, token: str, cached: bool = False) -> User | None:
    """The active user a valid (known, unexpired, unrevoked) token belongs to, or None.

    The user is a detached instance (read, not tracked by ``session``): to change the account,
    load it with :func:`get_user`. ``cached``: answer from (and fill) the process's
    :data:`~survey.storage.credential_cache.CREDENTIALS` (requests; the TTL bounds how long a
    revocation made by another process takes to be seen here).
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    key = _token_hash(token)
    if cached and (hit := CREDENTIALS.get(key)) is not None:
        return hit
    generation = CREDENTIALS.generation
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()  # as the ORM query's autoflush did
    row = session.connection().execute(_TOKEN_USER, {"token_hash": key}).mappings().first()
    if row is None or row["revoked_at"] is not None:
        return None
    if row["expires_at"] is not None and row["expires_at"] <= utcnow():
        return None
    if not row["active"]:
        return None
    user = User(**{name: row[name] for name in _USER_COLUMNS})
    make_transient_to_detached(user)
    if cached:
        CREDENTIALS.put(key, user, row["expires_at"], generation=generation)
    return user


def revoke_token(
    *, session: Session, token_id: int, actor: User | str, any_owner: bool = False
) -> ApiToken:
    """Revoke one token of ``actor`` (or of anyone when ``any_owner``, i.e. for an admin or the
    command line, whose ``actor`` is a name).

    Someone else's token is reported as not found, so ids do not reveal other users' tokens.
    """
    row = session.get(ApiToken, token_id)
    owner_id = actor.id if isinstance(actor, User) else None
    if row is None or (not any_owner and row.user_id != owner_id):
        raise NotFoundError(f"no API token with id {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        name = actor.username if isinstance(actor, User) else actor
        session.add(AuditEvent(actor=name, action="revoke_token", target=str(row.id)))
        announce(session, key=row.token_hash)
        session.commit()
        CREDENTIALS.forget(row.token_hash)
        session.refresh(row)
    return row


# -- administration (the admin pages; ``meihao user``/``meihao token`` use the same) ---------

GENERATED_PASSWORD_BYTES = 12  # 16 URL-safe characters, above MIN_PASSWORD_LENGTH


def generated_password() -> str:
    """A random password to hand over once (reset, or an account created without one)."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def list_users(*, session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.username))).all())


def set_active(
    *, session: Session, username: str, active: bool, actor: str, actor_id: int | None = None
) -> User:
    """Disable or enable an account; commits and audits.

    Disabling ends every session and revokes every token of the account at once (in this
    process; elsewhere within the credential cache's TTL): enabling it again brings back
    neither, so a token forgotten on a shared laptop does not return with the account. An admin
    cannot disable their own account, nor the last active admin, so a district is never locked
    out of its administration. ``actor_id``: the account of the admin doing it (None for the
    command line).
    """
    user = get_user(session=session, username=username)
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    if user.active == active:
        return user
    assert user.id is not None
    detail: dict[str, Any] = {}
    if not active:
        if actor_id is not None and user.id == actor_id:
            raise ConflictError("you cannot disable your own account")
        if user.role == "admin" and _active_admins(session=session) <= 1:
            raise ConflictError(f"{username!r} is the last active admin")
        detail["sessions_ended"] = revoke_user_sessions(session=session, user_id=user.id)
        detail["tokens_revoked"] = _revoke_user_tokens(session=session, user_id=user.id)
    user.active = active
    session.add(user)
    session.add(
        AuditEvent(
            actor=actor,
            action="enable_user" if active else "disable_user",
            target=username,
            detail=detail,
        )
    )
    announce(session, user_id=user.id)
    session.commit()
    CREDENTIALS.forget_user(user.id)
    session.refresh(user)
    return user


def _active_admins(*, session: Session) -> int:
    query = select(func.count()).select_from(User).where(User.role == "admin", col(User.active))
    return int(session.exec(query).one())


def _revoke_user_tokens(*, session: Session, user_id: int) -> int:
    result: Any = session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount)


def reset_password(*, session: Session, username: str, actor: str) -> str:
    """Give the account a new random password (returned once, stored only as its hash); ends
    its sessions like any password change."""
    password = generated_password()
    set_password(session=session, username=username, password=password, actor=actor)
    return password


def list_tokens(*, session: Session, include_revoked: bool = False) -> list[tuple[ApiToken, str]]:
    """Every token with its owner's username, newest first (never the token itself)."""
    query = (
        select(ApiToken, User.username)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .order_by(col(ApiToken.id).desc())
    )
    if not include_revoked:
        query = query.where(col(ApiToken.revoked_at).is_(None))
    return [(token, name) for token, name in session.exec(query).all()]
