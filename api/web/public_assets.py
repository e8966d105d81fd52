"""What every visitor's browser fetches besides pages: the OpenAPI docs and the favicon, all
served from this server (no CDN, pages work offline).

Swagger UI's files come from the maintained ``fastapi-offline`` package (MIT, it ships the
Swagger UI distribution); the page starts Swagger UI from ``/static/apidocs.js`` rather than
FastAPI's inline script, so /docs runs under the same strict Content-Security-Policy as every
other page (no inline script; styles from this origin; Swagger UI's icons are data: URIs).
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.web.templating import templates

FAVICON = Path(__file__).resolve().parents[1] / "static" / "favicon.svg"
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; "
    "object-src 'none'"
)

# ReDoc styles itself with injected <style> elements, so its page alone allows inline styles;
# scripts stay same-origin only, and the page shows no data but the OpenAPI document.
# Its search runs in a worker built from a blob: URL. Its footer logo points at the vendor's CDN:
# the policy blocks that image, so the page never reaches the network.
REDOC_POLICY = DOCS_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") + (
    "; worker-src blob:"
)

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, "api_docs.html", {"openapi_url": request.app.openapi_url}
    )
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


@router.get("/redoc", response_class=HTMLResponse)
def api_redoc(request: Request) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, "api_redoc.html", {"openapi_url": request.app.openapi_url}
    )
    response.headers["Content-Security-Policy"] = REDOC_POLICY
    return response


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    # Browsers ask for /favicon.ico before reading any <link rel="icon">; one SVG serves both.
    return FileResponse(
        FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


def mount_api_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets (call with ``docs_url=None`` on the app)."""
    app.mount("/static/apidocs", StaticFiles(directory=ASSETS_DIR), name="apidocs-assets")
    app.include_router(router)
