"""No state change from another site on the strength of a staff session cookie.

A route that changes state may be called with a cookie session only when the browser says the
request comes from this site: ``Sec-Fetch-Site: same-origin`` (or ``none``, typed by the user),
else an ``Origin`` equal to this server's own, else a valid CSRF token in the ``X-CSRF-Token``
header (see :mod:`api.web.csrf`). A form post that sends neither header still passes here: every
form route checks the token in its body (``CsrfChecked``). Calls with a bearer token are judged
by the token alone (a browser never adds one by itself), so notebooks and scripts are
unaffected. Checked for every POST/PUT/PATCH/DELETE, body or not: closing a wave or retiring a
model takes no body, which is why SameSite=Lax plus "JSON only" did not protect those routes.
"""

from __future__ import annotations

import json
from http.cookies import CookieError, SimpleCookie

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.web.auth import SESSION_COOKIE, bearer_token
from api.web.csrf import csrf_valid
from api.web.limits import BODY_METHODS

CSRF_HEADER = "x-csrf-token"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_session_cookie(headers: Headers) -> bool:
    for header in headers.getlist("cookie"):
        try:
            cookie: SimpleCookie = SimpleCookie(header)
        except CookieError:
            if SESSION_COOKIE in header:
                return True
            continue
        if SESSION_COOKIE in cookie:
            return True
    return False


def same_site(request: Request) -> bool | None:
    """True/False when the browser said where the request comes from; None when it did not."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is not None:
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        return origin == own
    return None


class OriginGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if bearer_token(request) is not None or not _has_session_cookie(request.headers):
            await self.app(scope, receive, send)
            return
        verdict = same_site(request)
        if verdict is None:
            token = request.headers.get(CSRF_HEADER)
            content_type = request.headers.get("content-type", "")
            settings = scope["app"].state.settings
            if token is not None:
                verdict = csrf_valid(request, settings, token)
            else:
                verdict = content_type.startswith(_FORMS)  # the route checks the form's token
        if verdict:
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "detail": "cross-site request refused: a signed-in browser may change data only "
                "from this site (Origin / Sec-Fetch-Site), or send the CSRF token in "
                "X-CSRF-Token; scripts use 'Authorization: Bearer <token>'"
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
