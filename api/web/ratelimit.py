"""Rate limits on every public write route, shared by all server processes via the database.

Keyed on the client address: the socket peer, or the ``X-Forwarded-For`` address when the peer is
one of ``settings.trusted_proxies`` (from anyone else the header is ignored, so a script cannot
pick the address it is counted on). The address itself is never stored: the key is an HMAC of it.

Counting is a sliding-window estimate over fixed one-minute windows: each hit is one atomic
``INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING hits`` on ``rate_counter`` (the
same statement on SQLite ≥ 3.35 and PostgreSQL), and the previous window's count is weighted by
how much of it still overlaps the last 60 s. Two processes increment the same row, so the limit
holds across workers and restarts; a request is refused once ``current + previous × overlap``
exceeds the limit, so no 60-second span accepts much more than the limit (a plain fixed window
would accept twice the limit across a window boundary).

Why a table and not a library (slowapi, limits): those keep counters in process memory or need a
Redis/Memcached server this deployment does not have; the database is already shared by every
process, and one indexed upsert per request costs about as much as the session look-up.

Generous limits on purpose (``settings.*_rate_per_minute``): a compound's residents share one
Wi-Fi and carriers put many phones behind one address (CGNAT); the limits stop floods only.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import random
import time
from functools import lru_cache
from typing import Any

from fastapi import Request
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.settings import Settings
from survey.storage.models import RateCounter

WINDOW_S = 60
# Rows older than this are deleted now and then (and by `meihao retention`).
KEEP_S = 3600
_CLEANUP_CHANCE = 0.002

# The clock of the windows (tests replace it to step through windows without sleeping).
CLOCK = time.time

_TABLE = RateCounter.__table__  # type: ignore[attr-defined]


class RateLimited(Exception):
    """Too many requests of ``scope`` from one address; retry after ``retry_after`` seconds."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"too many {scope} requests from this address")
        self.scope = scope
        self.retry_after = retry_after


def limit_of(settings: Settings, scope: str) -> int:
    return {
        "page": settings.page_rate_per_minute,
        "autosave": settings.autosave_rate_per_minute,
        "submit": settings.submit_rate_per_minute,
    }[scope]


@lru_cache(maxsize=16)
def _networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


def _trusted(address: str, settings: Settings) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(settings.trusted_proxies))


def client_address(request: Request, settings: Settings) -> str:
    """The address a request came from: the peer, or for a trusted proxy the nearest address in
    ``X-Forwarded-For`` that is not itself a trusted proxy (read right to left: entries further
    left were written by the client and cannot be believed)."""
    peer = request.client.host if request.client else ""
    if not peer or not _trusted(peer, settings):
        return peer
    forwarded = [
        part.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for part in header.split(",")
        if part.strip()
    ]
    for hop in reversed(forwarded):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a garbled header: count on the proxy rather than on a made-up name
        if not _trusted(hop, settings):
            return hop
    return forwarded[0] if forwarded else peer


def bucket_of(settings: Settings, scope: str, address: str) -> str:
    digest = hmac.new(
        settings.secret_key.encode(), f"rate|{address}".encode(), hashlib.sha256
    ).hexdigest()
    return f"{scope}:{digest[:40]}"


def _insert(engine: Engine) -> Any:
    return (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(_TABLE)


def hit(engine: Engine, bucket: str, limit: int, now: float | None = None) -> float:
    """Count one request of ``bucket``: ``0.0`` when allowed, else seconds until it would be."""
    now = CLOCK() if now is None else now
    window = int(now) // WINDOW_S * WINDOW_S
    statement = _insert(engine).values(bucket=bucket, window=window, hits=1)
    statement = statement.on_conflict_do_update(
        index_elements=["bucket", "window"], set_={"hits": _TABLE.c.hits + 1}
    ).returning(_TABLE.c.hits)
    with engine.begin() as connection:
        current = int(connection.execute(statement).scalar_one())
        previous = connection.execute(
            select(_TABLE.c.hits).where(
                _TABLE.c.bucket == bucket, _TABLE.c.window == window - WINDOW_S
            )
        ).scalar()
        if random.random() < _CLEANUP_CHANCE:
            connection.execute(delete(_TABLE).where(_TABLE.c.window < window - KEEP_S))
    return wait_seconds(current, int(previous or 0), limit, (now - window) / WINDOW_S)


def wait_seconds(current: int, previous: int, limit: int, elapsed: float) -> float:
    """Sliding-window decision for ``current`` hits (this one included) in the window that is
    ``elapsed`` (0–1) through, after ``previous`` hits in the window before: 0 when allowed,
    else the seconds until a retry (itself one more hit) would be allowed, if nothing else
    arrives meanwhile (refused hits count too, so a flood that keeps going stays refused)."""
    if current + previous * (1.0 - elapsed) <= limit:
        return 0.0
    retry = current + 1
    if retry <= limit and previous > 0:
        # Later in this window the previous window's weight has shrunk enough.
        target = 1.0 - (limit - retry) / previous
        if target < 1.0:
            return max(0.0, (target - elapsed) * WINDOW_S)
    # In the next window: its first hit plus this window's hits × their remaining overlap.
    target = max(0.0, 1.0 - (limit - 1) / current)
    return (1.0 - elapsed + target) * WINDOW_S


def retry_after_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


def check(request: Request, settings: Settings, scope: str, engine: Engine) -> int:
    """``0`` when this request of ``scope`` may go on, else its Retry-After in seconds."""
    address = client_address(request, settings) or "unknown"
    wait = hit(engine, bucket_of(settings, scope, address), limit_of(settings, scope))
    return retry_after_seconds(wait) if wait > 0 else 0


def check_in(request: Request, settings: Settings, scope: str, session: Session) -> int:
    """:func:`check` from a request holding ``session``.

    The counter commits on a connection of its own, so the session's read transaction is
    ended first (when it has nothing pending): a request must never hold one pooled connection
    while waiting for a second, or a burst larger than the pool waits on itself.
    """
    if not (session.new or session.dirty or session.deleted):
        session.commit()  # read-only so far: ends the transaction, returns the connection
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    return check(request, settings, scope, engine)


def enforce(request: Request, session: Session, settings: Settings, scope: str) -> None:
    """Raise :class:`RateLimited` (→ 429 with Retry-After) when over the limit of ``scope``."""
    seconds = check_in(request, settings, scope, session)
    if seconds:
        raise RateLimited(scope, seconds)
