"""The access log, written by the app itself so that it keeps residents anonymous.

uvicorn's access log prints the client's address and the full request line, which joined a
resident's IP address to their survey link token and client id (``GET /s/<token>?cid=...``)
and so to their answers. ``meihao serve`` turns uvicorn's log off and this middleware writes
one line per request to the ``meihao.access`` logger instead:

- link tokens and invitation codes in paths are replaced by ``…`` (``/s/…``, ``/i/…``);
- resident routes (``/s/``, ``/i``, ``/api/v1/responses``) are logged without a query string;
  other routes keep theirs, minus any ``cid`` or ``token`` value;
- no client address unless the deployment sets ``MEIHAO_ACCESS_LOG_ADDRESSES=1`` (say, for a
  staff-only instance that must trace abuse).
"""

from __future__ import annotations

import copy
import logging
import re
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("meihao.access")

RESIDENT_PREFIXES = ("/s/", "/i/", "/api/v1/responses")
SECRET_PARAMS = frozenset({"cid", "token", "code"})
_SECRET_SEGMENT = re.compile(r"^/(s|i)/[^/]+")


def loggable_target(path: str, query: str) -> str:
    """The request target as it may appear in a log."""
    resident = path == "/i" or path.startswith(RESIDENT_PREFIXES)
    path = _SECRET_SEGMENT.sub(lambda m: f"/{m.group(1)}/…", path)
    if resident or not query:
        return path
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in SECRET_PARAMS]
    return f"{path}?{urlencode(kept)}" if kept else path


class AccessLog:
    def __init__(self, app: ASGIApp, *, addresses: bool = False) -> None:
        self.app = app
        self.addresses = addresses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # when the app fails before it starts a response

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            target = loggable_target(
                scope.get("path", ""), scope.get("query_string", b"").decode("latin-1")
            )
            elapsed_ms = (time.perf_counter() - started) * 1000
            client = scope.get("client")
            who = f"{client[0]} " if self.addresses and client else ""
            logger.info(
                '%s"%s %s" %d %.0fms', who, scope.get("method", ""), target, status, elapsed_ms
            )


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration plus the ``meihao.access`` logger (to stdout)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["meihao_access"] = {
        "()": "logging.Formatter",
        "fmt": "%(asctime)s INFO:     %(message)s",
    }
    config["handlers"]["meihao_access"] = {
        "formatter": "meihao_access",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["meihao.access"] = {
        "handlers": ["meihao_access"],
        "level": "INFO",
        "propagate": False,
    }
    return config
