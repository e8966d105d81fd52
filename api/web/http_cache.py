"""Conditional GETs for results read from snapshots: ``ETag``, ``Cache-Control: private`` and
``304 Not Modified``.

A snapshot never changes, so the same reader asking again (a dashboard left open, a notebook
polling) gets 304 and no body unless a newer snapshot was stored. ``private``: the figures are
for the signed-in reader (a scope filters them), never for a shared cache; ``no-cache``: a
browser must ask again each time, because the wave's newest snapshot may change.
"""

from __future__ import annotations

import hashlib

from fastapi import Request, Response

CACHE_CONTROL = "private, no-cache"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(request: Request, etag: str) -> bool:
    sent = request.headers.get("if-none-match")
    if not sent:
        return False
    tags = {t.strip().removeprefix("W/") for t in sent.split(",")}
    return etag in tags or "*" in tags


def conditional_json(
    request: Request,
    body: bytes,
    *,
    etag: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """``body`` as JSON with its ``ETag`` (computed unless given), or 304 when the reader has
    it already. A gzipped body needs its own tag: pass one that differs from the plain one."""
    etag = etag or etag_of(body)
    out = {**(headers or {}), "ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(request, etag):
        out.pop("Content-Encoding", None)
        return Response(status_code=304, headers=out)
    return Response(content=body, media_type="application/json", headers=out)
