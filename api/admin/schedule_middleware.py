"""ASGI middleware: before a staff request, let due waves open and close (see
api/services/schedule.py); residents' requests pass straight through."""

from __future__ import annotations

from typing import Any

from anyio import to_thread

from api.services.schedule import RESIDENT_PREFIXES, maybe_settle


class WaveSchedule:
    def __init__(self, app: Any, *, bootstrap: int) -> None:
        self.app = app
        self.bootstrap = bootstrap

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(RESIDENT_PREFIXES):
            engine = getattr(scope["app"].state, "engine", None)
            if engine is not None:
                await to_thread.run_sync(
                    lambda: maybe_settle(engine, path=scope["path"], bootstrap=self.bootstrap)
                )
        await self.app(scope, receive, send)
