"""Who is calling: staff sessions (pages) and bearer tokens (API), and the role checks.

Pages use a signed, expiring cookie (itsdangerous, keyed by ``settings.secret_key``): it holds the
user id and a fingerprint of the password hash, so changing a password ends every session of that
user without a session table. Notebooks and scripts send ``Authorization: Bearer <token>``.
Residents never sign in; their routes use none of these dependencies.

Use in routes::

    def page(user: CurrentUser): ...                                  # any staff user
    def publish(user: Annotated[User, Depends(require_role("admin", "researcher"))]): ...
    def close(user: AdminUser): ...
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.deps import SessionDep, SettingsDep
from api.settings import Settings
from survey.storage.models import User
from survey.storage.users import resolve_token

SESSION_COOKIE = "meihao_session"
SESSION_MAX_AGE_S = 8 * 3600  # one working day; then sign in again
_SESSION_SALT = "meihao.staff-session"

ROLE_LABELS = {
    "admin": "管理员 admin",
    "researcher": "研究人员 researcher",
    "official": "工作人员 official",
    "enumerator": "网格员 enumerator",
}


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=_SESSION_SALT)


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def session_cookie_value(settings: Settings, user: User) -> str:
    return _serializer(settings).dumps({"uid": user.id, "pw": _password_fingerprint(user)})


def set_session_cookie(
    response: Response, request: Request, settings: Settings, user: User
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_cookie_value(settings, user),
        max_age=SESSION_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def _user_from_cookie(request: Request, session: SessionDep, settings: Settings) -> User | None:
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    try:
        data: Any = _serializer(settings).loads(value, max_age=SESSION_MAX_AGE_S)
    except BadSignature:  # also covers SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    user = session.get(User, data["uid"])
    if user is None or not user.active or data.get("pw") != _password_fingerprint(user):
        return None
    return user


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def optional_user(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    """The signed-in staff user, or None (anonymous, resident, bad or expired credentials).

    A request that sends a bearer token is judged by the token alone: a bad token is not
    rescued by a cookie, so a script learns that its token is wrong.
    """
    token = bearer_token(request)
    if token is not None:
        user = resolve_token(session=session, token=token)
        request.state.auth_method = "token" if user is not None else "bad_token"
    else:
        user = _user_from_cookie(request, session, settings)
        request.state.auth_method = "cookie" if user is not None else None
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or bearer_token(request) is not None


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


async def current_user(request: Request, user: OptionalUser) -> User:
    # async: no I/O, so no thread-pool hop (see api/deps.py)
    """The signed-in user; otherwise 401 (API) or a 303 redirect to the login page (pages)."""
    if user is not None:
        return user
    if wants_json(request):
        bad = getattr(request.state, "auth_method", None) == "bad_token"
        challenge = 'Bearer error="invalid_token"' if bad else "Bearer"
        raise HTTPException(
            status_code=401,
            detail="invalid or expired token"
            if bad
            else "sign in: send 'Authorization: Bearer <token>' (POST /api/v1/tokens issues one)",
            headers={"WWW-Authenticate": challenge},
        )
    raise HTTPException(
        status_code=303, detail="请先登录 sign in first", headers={"Location": login_url(request)}
    )


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(*roles: str) -> Callable[[User], Coroutine[Any, Any, User]]:
    """A dependency that lets only these roles through (403 for other signed-in users)."""
    allowed = frozenset(roles)

    async def dependency(user: CurrentUser) -> User:
        if user.role not in allowed:
            names = "、".join(ROLE_LABELS.get(r, r) for r in sorted(allowed))
            raise HTTPException(
                status_code=403,
                detail=f"无权限:仅限 {names} / forbidden: only for {', '.join(sorted(allowed))}",
            )
        return user

    dependency.__name__ = f"require_role_{'_'.join(sorted(allowed))}"
    return dependency


AdminUser = Annotated[User, Depends(require_role("admin"))]
ResearchUser = Annotated[User, Depends(require_role("admin", "researcher"))]
