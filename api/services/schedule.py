"""Bringing waves' stored status up to their dates, and the wave's periodic work, on request (no
background thread of its own).

Submissions are checked against the dates directly (``survey.storage.waves.effective_status``),
so a wave stops accepting answers at ``closes_at`` to the second. The stored status and the final
snapshot follow on the next staff request: :func:`settle_due_waves` marks scheduled waves open
and closes due waves exactly as ``meihao wave close`` does (rescoring included). It also queues a
ballot-stuffing ``scan`` job for each open wave that is due one
(``api.services.stuffing.waves_due_for_scan``), and once a day runs the retention purge
(``api.services.retention``), so neither waits for someone to open a page or type a command.

Two callers: the middleware in api/app.py, at most every ``INTERVAL_S`` per process and never on
residents' paths, which must stay fast; and ``meihao worker`` between jobs, so a deployment with
workers does this work even when no staff member signs in. When the server runs jobs itself
(SQLite's default), the middleware runs the jobs queued here once the response has been sent,
as ``BackgroundTasks`` would.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from api.services.jobs import enqueue, run_pending
from api.services.retention import purge_if_due
from api.services.stuffing import SCAN, waves_due_for_scan
from api.services.waves import close_wave
from api.settings import Settings
from survey.storage.db import session_scope
from survey.storage.waves import due_transitions, mark_opened

INTERVAL_S = 15.0
RESIDENT_PREFIXES = ("/s/", "/i", "/api/v1/responses", "/static", "/healthz", "/readyz")

_lock = threading.Lock()
_last = 0.0


@dataclass(frozen=True)
class Periodic:
    """The deployment's settings for the periodic work (from ``api.settings.Settings``)."""

    bootstrap: int
    scan_interval: timedelta
    draft_retention_days: int
    free_text_retention_days: int


def periodic_of(settings: Settings) -> Periodic:
    return Periodic(
        bootstrap=settings.bootstrap_replicates,
        scan_interval=timedelta(minutes=settings.stuffing_scan_minutes),
        draft_retention_days=settings.draft_retention_days,
        free_text_retention_days=settings.free_text_retention_days,
    )


@dataclass
class Settled:
    changed: list[str] = field(default_factory=list)
    job_ids: list[int] = field(default_factory=list)


def settle_due_waves(engine: Engine, *, periodic: Periodic, now: datetime | None = None) -> Settled:
    """Open and close the waves whose dates have passed, queue due stuffing scans, and purge
    what retention says to; returns what changed and the jobs queued."""
    now = now or datetime.now(UTC)
    out = Settled()
    with session_scope(engine) as session:
        to_open, to_close = due_transitions(session=session, now=now)
        mark_opened(session=session, waves=to_open)
        out.changed += [f"opened {w.code}" for w in to_open]
        codes = [w.code for w in to_close]
    for code in codes:
        with session_scope(engine) as session:
            _, job = close_wave(
                session=session, wave_code=code, actor="schedule", bootstrap=periodic.bootstrap
            )
            out.job_ids.append(job.id or 0)
        out.changed.append(f"closed {code}")
    with session_scope(engine) as session:
        for wave in waves_due_for_scan(session=session, now=now, interval=periodic.scan_interval):
            job = enqueue(
                session=session,
                kind=SCAN,
                wave=wave,
                model_name=None,
                bootstrap=0,
                actor="schedule",
            )
            out.job_ids.append(job.id or 0)
            out.changed.append(f"scan {wave.code}")
    with session_scope(engine) as session:
        purged = purge_if_due(
            session=session,
            now=now,
            draft_days=periodic.draft_retention_days,
            free_text_days=periodic.free_text_retention_days,
            actor="schedule",
        )
        if purged is not None:
            out.changed.append("retention")
    return out


def maybe_settle(engine: Engine, *, path: str, periodic: Periodic) -> list[int]:
    """:func:`settle_due_waves` at most every ``INTERVAL_S`` per process, never for residents'
    paths; the ids of the jobs it queued (for the caller to run when the server runs jobs)."""
    global _last
    if path.startswith(RESIDENT_PREFIXES):
        return []
    now = time.monotonic()
    if now - _last < INTERVAL_S or not _lock.acquire(blocking=False):
        return []
    try:
        _last = now
        return settle_due_waves(engine, periodic=periodic).job_ids
    finally:
        _lock.release()


def run_jobs(engine: Engine, job_ids: list[int], *, lease_s: float) -> None:
    """Run the given queued jobs here (the server's own worker: SQLite's default)."""
    for job_id in job_ids:
        run_pending(engine, lease_s=lease_s, job_id=job_id)
