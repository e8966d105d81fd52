"""Bringing waves' stored status up to their dates, on request (no background thread).

Submissions are checked against the dates directly (``survey.storage.waves.effective_status``),
so a wave stops accepting answers at ``closes_at`` to the second. The stored status and the final
snapshot follow on the next staff request: :func:`settle_due_waves` marks scheduled waves open
and closes due waves exactly as ``meihao wave close`` does (rescoring included). The middleware
in api/app.py calls it at most every ``INTERVAL_S`` per process, and never on residents' paths,
which must stay fast.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy.engine import Engine

from api.services.waves import close_wave
from survey.storage.db import session_scope
from survey.storage.waves import due_transitions, mark_opened

INTERVAL_S = 15.0
RESIDENT_PREFIXES = ("/s/", "/i", "/api/v1/responses", "/static", "/healthz", "/readyz")

_lock = threading.Lock()
_last = 0.0


def settle_due_waves(engine: Engine, *, bootstrap: int) -> list[str]:
    """Open and close the waves whose dates have passed; returns what changed."""
    changed = []
    with session_scope(engine) as session:
        to_open, to_close = due_transitions(session=session)
        mark_opened(session=session, waves=to_open)
        changed += [f"opened {w.code}" for w in to_open]
        codes = [w.code for w in to_close]
    for code in codes:
        with session_scope(engine) as session:
            close_wave(session=session, wave_code=code, actor="schedule", bootstrap=bootstrap)
        changed.append(f"closed {code}")
    return changed


def maybe_settle(engine: Engine, *, path: str, bootstrap: int) -> None:
    global _last
    if path.startswith(RESIDENT_PREFIXES):
        return
    now = time.monotonic()
    if now - _last < INTERVAL_S or not _lock.acquire(blocking=False):
        return
    try:
        _last = now
        settle_due_waves(engine, bootstrap=bootstrap)
    finally:
        _lock.release()
