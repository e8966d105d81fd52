"""Limits on failed sign-ins that a stranger cannot turn into a lock-out.

Counted per address and per (address, account), never per account alone: ten failures from
anywhere used to lock the right password out for 15 minutes, so anyone could lock any official
out. Now the pair limit stops guessing one account from one address, and the address limit
stops one address from spraying many accounts (or burning argon2 time on unknown usernames,
which are verified against a dummy hash so their timing matches). Someone signing in from
another address is never affected.

State lives in the ``login_throttle`` table, so the limits hold across worker processes and
restarts. Each burst of failures of one (address, account) pair is audited as one
``login_failed`` row whose ``count`` grows with the burst, so a flood of guesses costs one row,
not one per guess. The table and the audit hold no address in clear (a salted-free SHA-256 key
and a short address fingerprint), so the audit still tells an admin "one source, n tries".
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from survey.storage.models import AuditEvent, LoginThrottle, utcnow
from survey.storage.users import MAX_USERNAME_LENGTH

WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT_AND_ADDRESS = 10  # guesses at one account from one address per window
MAX_PER_ADDRESS = 30  # failed sign-ins from one address per window, all accounts together


class LoginThrottled(Exception):
    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s


def _key(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "replace")).hexdigest()


def address_fingerprint(address: str) -> str:
    """A short stable label for an address in the audit (not the address itself)."""
    return _key("fingerprint", address)[:12]


def _live(row: LoginThrottle | None, now: datetime) -> bool:
    return row is not None and row.window_start + WINDOW > now


def ensure_allowed(*, session: Session, address: str, username: str) -> None:
    """Raise :class:`LoginThrottled` when this address, or this address for this account, has
    used up its failures in the current window. Costs no password hash."""
    now = utcnow()
    limits = (
        (_key("address", address), MAX_PER_ADDRESS),
        (_key("pair", address, username[:MAX_USERNAME_LENGTH]), MAX_PER_ACCOUNT_AND_ADDRESS),
    )
    keys = [key for key, _ in limits]
    rows = {
        row.key: row
        for row in session.exec(select(LoginThrottle).where(col(LoginThrottle.key).in_(keys)))
    }
    for key, limit in limits:
        row = rows.get(key)
        if row is not None and _live(row, now) and row.failures >= limit:
            retry = row.window_start + WINDOW - now
            raise LoginThrottled(max(1, int(retry.total_seconds()) + 1))


def record_failure(*, session: Session, address: str, username: str, channel: str) -> None:
    """Count one failed sign-in for the address and for the pair; audit it with its burst."""
    name = username[:MAX_USERNAME_LENGTH]
    for attempt in range(2):  # a concurrent first failure may insert the same key: retry once
        try:
            _bump(session, _key("address", address), None)
            _bump(session, _key("pair", address, name), (name, channel, address))
            session.commit()
            return
        except IntegrityError:
            session.rollback()
            if attempt:
                raise


def _bump(session: Session, key: str, audited: tuple[str, str, str] | None) -> None:
    now = utcnow()
    row = session.exec(select(LoginThrottle).where(LoginThrottle.key == key)).first()
    if row is None:
        row = LoginThrottle(key=key, window_start=now, failures=0)
    elif not _live(row, now):
        row.window_start, row.failures, row.audit_id = now, 0, None
    row.failures += 1
    if audited is not None:
        name, channel, address = audited
        event = session.get(AuditEvent, row.audit_id) if row.audit_id is not None else None
        if event is None:
            event = AuditEvent(
                actor=name,
                action="login_failed",
                target=name,
                detail={
                    "channel": channel,
                    "count": 1,
                    "source": address_fingerprint(address),
                    "first_at": now.isoformat(),
                },
            )
            session.add(event)
            session.flush()
            row.audit_id = event.id
        else:
            event.detail = {**event.detail, "count": row.failures, "last_at": now.isoformat()}
            session.add(event)
    session.add(row)
    session.flush()


def record_success(*, session: Session, address: str, username: str) -> None:
    """The right password from this address: its guesses at this account start again from 0.

    The address's own count stays: signing in to one's own account must not reset the limit
    on spraying others.
    """
    key = _key("pair", address, username[:MAX_USERNAME_LENGTH])
    session.exec(delete(LoginThrottle).where(col(LoginThrottle.key) == key))
    session.commit()
