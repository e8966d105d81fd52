"""ASGI middleware: before a staff request, let due waves open and close and queue the wave's
periodic work (see api/services/schedule.py); residents' requests pass straight through."""

from __future__ import annotations

from typing import Any

from anyio import to_thread

from api.services.schedule import RESIDENT_PREFIXES, maybe_settle, periodic_of, run_jobs
from api.settings import Settings


class WaveSchedule:
    def __init__(self, app: Any, *, settings: Settings) -> None:
        self.app = app
        self.periodic = periodic_of(settings)
        self.in_process = settings.runs_jobs_in_process
        self.lease_s = settings.job_lease_seconds

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        queued: list[int] = []
        engine = getattr(scope["app"].state, "engine", None) if scope["type"] == "http" else None
        if engine is not None and not scope["path"].startswith(RESIDENT_PREFIXES):
            queued = await to_thread.run_sync(
                lambda: maybe_settle(engine, path=scope["path"], periodic=self.periodic)
            )
        await self.app(scope, receive, send)
        if queued and self.in_process and engine is not None:
            # the response is sent: run what was queued (final snapshots, stuffing scans)
            await to_thread.run_sync(lambda: run_jobs(engine, queued, lease_s=self.lease_s))
