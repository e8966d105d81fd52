"""Who is calling: staff sessions (pages) and bearer tokens (API), and the role checks.

Pages use a session cookie holding a random id that is checked against the ``staff_session``
table on every request (survey/storage/sessions.py): signing out, changing the password or
deactivating the account ends it at once, even for a copied cookie. Notebooks and scripts send
``Authorization: Bearer <token>``.
Residents never sign in; their routes use none of these dependencies.

Use in routes::

    def page(user: CurrentUser): ...                                  # any staff user
    def publish(user: Annotated[User, Depends(require_role("admin", "researcher"))]): ...
    def close(user: AdminUser): ...
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response
from sqlmodel import Session

from api.deps import SessionDep
from api.statuses import raises
from api.web.https import secure_scheme
from survey.storage.models import User
from survey.storage.sessions import create_session, resolve_session, revoke_session
from survey.storage.users import resolve_token

SESSION_COOKIE = "meihao_session"
SESSION_LIFETIME = timedelta(hours=8)  # one working day; then sign in again
REMEMBER_LIFETIME = timedelta(days=14)  # "remember me": a persistent cookie for this long

ROLE_LABELS = {
    "admin": "管理员 admin",
    "researcher": "研究人员 researcher",
    "official": "工作人员 official",
    "enumerator": "网格员 enumerator",
}


def new_session(*, session: Session, user: User, remember: bool = False) -> str:
    """Open a server-side session; returns the cookie value."""
    lifetime = REMEMBER_LIFETIME if remember else SESSION_LIFETIME
    return create_session(session=session, user=user, lifetime=lifetime)


def set_session_cookie(
    response: Response, request: Request, session: Session, user: User, *, remember: bool = False
) -> None:
    """Sign ``user`` in on this browser. Without "remember me" the cookie has no Max-Age, so it
    ends with the browser; the server ends the session after 8 h either way."""
    response.set_cookie(
        SESSION_COOKIE,
        new_session(session=session, user=user, remember=remember),
        max_age=int(REMEMBER_LIFETIME.total_seconds()) if remember else None,
        httponly=True,
        samesite="lax",
        secure=secure_scheme(request.url.scheme, request.app),
        path="/",
    )


def end_session(request: Request, session: Session, response: Response) -> None:
    """Sign-out: the session is revoked in the database (a copied cookie is dead too)."""
    value = request.cookies.get(SESSION_COOKIE)
    if value:
        revoke_session(session=session, session_id=value)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def _user_from_cookie(request: Request, session: SessionDep) -> User | None:
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    return resolve_session(session=session, session_id=value, cached=True)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def optional_user(request: Request, session: SessionDep) -> User | None:
    """The signed-in staff user, or None (anonymous, resident, bad or expired credentials).

    A request that sends a bearer token is judged by the token alone: a bad token is not
    rescued by a cookie, so a script learns that its token is wrong.
    """
    token = bearer_token(request)
    if token is not None:
        user = resolve_token(session=session, token=token, cached=True)
        request.state.auth_method = "token" if user is not None else "bad_token"
    else:
        user = _user_from_cookie(request, session)
        request.state.auth_method = "cookie" if user is not None else None
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or bearer_token(request) is not None


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


@raises(401)
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

    @raises(403)
    async def dependency(user: CurrentUser) -> User:
        if user.role not in allowed:
            names = "、".join(ROLE_LABELS.get(r, r) for r in sorted(allowed))
            raise HTTPException(
                status_code=403,
                detail=f"无权限：仅限 {names} / forbidden: only for {', '.join(sorted(allowed))}",
            )
        return user

    dependency.__name__ = f"require_role_{'_'.join(sorted(allowed))}"
    return dependency


AdminUser = Annotated[User, Depends(require_role("admin"))]
ResearchUser = Annotated[User, Depends(require_role("admin", "researcher"))]
