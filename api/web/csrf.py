"""CSRF protection for HTML forms: a signed double-submit token.

The browser holds a random nonce in an HttpOnly cookie; each form carries the nonce signed with
``settings.secret_key`` and a timestamp. A POST passes only when the form's token verifies, is
younger than ``CSRF_MAX_AGE_S`` and carries the cookie's nonce. Another site can make the browser
send the cookie, but cannot read it nor forge the signature, so it cannot build a valid form.
No server-side state, so it works across worker processes.

Use::

    <form method="post">{{ csrf_input() }} ...</form>    # in any template rendered with request
    def post(..., _: CsrfChecked): ...                  # the POST route: 403 unless it matches

``csrf_input()`` reuses the browser's nonce or makes one; ``CsrfCookie`` (middleware) then sets
the cookie on that response, so page routes need no CSRF code of their own.
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import pass_context
from markupsafe import Markup, escape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import SettingsDep
from api.settings import Settings
from api.statuses import raises
from api.web.https import secure_scheme

CSRF_COOKIE = "meihao_csrf"
CSRF_FIELD = "csrf_token"
# Long enough for a resident interrupted by a phone call or a slow official; the form keeps its
# answers when a stale token is refused, so expiry costs a click, never data.
CSRF_MAX_AGE_S = 12 * 3600
_SALT = "meihao.csrf"
_NONCE_LENGTH = 43  # len(secrets.token_urlsafe(32))


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=_SALT)


def csrf_token(request: Request, settings: Settings) -> tuple[str, str]:
    """``(token for the form, nonce for the cookie)``; reuses the browser's nonce when it has one,
    so several open tabs stay valid."""
    nonce = getattr(request.state, "csrf_new_nonce", None) or request.cookies.get(CSRF_COOKIE)
    if not nonce or len(nonce) != _NONCE_LENGTH:  # anything else was not issued by us
        nonce = secrets.token_urlsafe(32)
        request.state.csrf_new_nonce = nonce
    return signed_token(settings, nonce), nonce


def signed_token(settings: Settings, nonce: str) -> str:
    """The form token for a browser holding ``nonce`` in its cookie."""
    return _serializer(settings).dumps(nonce)


def _cookie_header(nonce: str, secure: bool) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie[CSRF_COOKIE] = nonce
    morsel = cookie[CSRF_COOKIE]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "lax"
    if secure:
        morsel["secure"] = True
    return morsel.OutputString()


@pass_context
def csrf_input(context: Any) -> Markup:
    """Jinja global: the hidden form field (the template must be rendered with ``request``)."""
    request: Request = context["request"]
    token, _ = csrf_token(request, request.app.state.settings)
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">')


class CsrfCookie:
    """Sets the nonce cookie on responses whose page made a new nonce (pure ASGI, no buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            nonce = scope.get("state", {}).get("csrf_new_nonce")
            if message["type"] == "http.response.start" and nonce:
                secure = secure_scheme(str(scope.get("scheme")), scope.get("app"))
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", _cookie_header(nonce, secure).encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def csrf_valid(request: Request, settings: Settings, token: str | None) -> bool:
    nonce = request.cookies.get(CSRF_COOKIE)
    if not token or not nonce:
        return False
    try:
        signed = _serializer(settings).loads(token, max_age=CSRF_MAX_AGE_S)
    except BadSignature:
        return False
    return isinstance(signed, str) and secrets.compare_digest(signed, nonce)


@raises(403)
def check_csrf(
    request: Request, settings: SettingsDep, csrf_token: Annotated[str | None, Form()] = None
) -> None:
    """Dependency for state-changing form posts: 403 unless the form's token matches."""
    if not csrf_valid(request, settings, csrf_token):
        raise HTTPException(
            status_code=403,
            detail="表单已过期或来源无效，请刷新页面后重试 / form expired or invalid "
            "(CSRF check failed); reload the page and try again",
        )


CsrfChecked = Annotated[None, Depends(check_csrf)]
