"""Rate limits on every public write route, shared by all server processes via the database.

Keyed on the client address: the socket peer, or the ``X-Forwarded-For`` address when the peer is
one of ``settings.trusted_proxies`` (from anyone else the header is ignored, so a script cannot
pick the address it is counted on). The address itself is never stored: the key is an HMAC of it.

Counting is a sliding-window estimate over fixed one-minute windows: each window's hits are a
row of ``rate_counter``, and the previous window's count is weighted by how much of it still
overlaps the last 60 s. Every process adds its hits to the same rows, so the limit holds across
workers and restarts; a request is refused once ``current + previous × overlap`` exceeds the
limit, so no 60-second span accepts much more than the limit (a plain fixed window would accept
twice the limit across a window boundary).

The hits are counted in memory and merged into the rows in batches, every 0.1 s and whenever a
process holds ``limit // 32`` unmerged hits of one address (api/web/rate_merge.py): one
transaction per request was the submit path's bottleneck (README, P5). Across N processes a
burst can pass the limit by at most ``(N − 1) × (max(1, limit // 32) − 1)``; one process counts
exactly, and so does any limit under 64 (every hit merged at once).

Why a table and not a library (slowapi, limits): those keep counters in process memory or need a
Redis/Memcached server this deployment does not have; the database is already shared by every
process, and one upsert per address and merge is cheap.

Generous limits on purpose (``settings.*_rate_per_minute``): a compound's residents share one
Wi-Fi and carriers put many phones behind one address (CGNAT); the limits stop floods only.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
from collections.abc import Callable
from functools import lru_cache

from fastapi import Request
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from api.settings import Settings
from api.web.rate_merge import KEEP_S, WINDOW_S, shared_counts, window_of

__all__ = ["KEEP_S", "WINDOW_S", "RateLimited", "check", "enforce", "hit", "wait_seconds"]

# The clock of the windows (tests replace it to step through windows without sleeping).
CLOCK = time.time


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


def hit(
    engine: Engine,
    bucket: str,
    limit: int,
    now: float | None = None,
    release: Callable[[], None] | None = None,
) -> float:
    """Count one request of ``bucket``: ``0.0`` when allowed, else seconds until it would be.

    ``release`` frees the caller's pooled connection before a merge needs one of its own."""
    now = CLOCK() if now is None else now
    current, previous = shared_counts(engine).count(bucket, limit, now, release)
    return wait_seconds(current, previous, limit, (now - window_of(now)) / WINDOW_S)


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


def check(
    request: Request,
    settings: Settings,
    scope: str,
    engine: Engine,
    release: Callable[[], None] | None = None,
) -> int:
    """``0`` when this request of ``scope`` may go on, else its Retry-After in seconds."""
    address = client_address(request, settings) or "unknown"
    wait = hit(
        engine, bucket_of(settings, scope, address), limit_of(settings, scope), None, release
    )
    return retry_after_seconds(wait) if wait > 0 else 0


def check_in(request: Request, settings: Settings, scope: str, session: Session) -> int:
    """:func:`check` from a request holding ``session``.

    Most hits are counted in memory; one that merges commits on a connection of its own, so
    the session's read transaction is ended first (when it has nothing pending): a request
    must never hold one pooled connection while waiting for a second, or a burst larger than
    the pool waits on itself.
    """
    bind = session.get_bind()
    # A session of the submit path's database threads is bound to their own connection.
    engine = bind.engine if isinstance(bind, Connection) else bind
    assert isinstance(engine, Engine)
    clean = not (session.new or session.dirty or session.deleted)
    # Read-only so far: committing ends the transaction and returns the connection.
    return check(request, settings, scope, engine, session.commit if clean else None)


def enforce(request: Request, session: Session, settings: Settings, scope: str) -> None:
    """Raise :class:`RateLimited` (→ 429 with Retry-After) when over the limit of ``scope``."""
    seconds = check_in(request, settings, scope, session)
    if seconds:
        raise RateLimited(scope, seconds)
