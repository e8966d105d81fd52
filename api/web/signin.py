"""Signing in and out (pages) and API tokens for notebooks and scripts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.deps import RowIdPath, SessionDep
from api.statuses import errors
from api.web.auth import CurrentUser, OptionalUser, end_session, set_session_cookie
from api.web.csrf import CsrfChecked
from api.web.login_throttle import LoginThrottled, ensure_allowed, record_failure, record_success
from api.web.templating import templates
from survey.storage.models import User
from survey.storage.users import (
    MAX_PASSWORD_LENGTH,
    MAX_USERNAME_LENGTH,
    authenticate,
    issue_token,
    record_login,
    revoke_token,
)

router = APIRouter(tags=["auth"])

DEFAULT_LANDING = "/start"  # the page fitted to the scope (api/officials/home_routes.py)


class _BadCredentials(Exception):
    pass


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check_credentials(
    *, session: Session, address: str, username: str, password: str, channel: str
) -> User:
    """The user, or :class:`LoginThrottled` / :class:`_BadCredentials`.

    A refused attempt costs no password hash and no audit row (see api/web/login_throttle.py);
    a checked one costs one argon2 verification whether or not the username exists.
    """
    ensure_allowed(session=session, address=address, username=username)
    user = authenticate(session=session, username=username, password=password)
    if user is None:
        record_failure(session=session, address=address, username=username, channel=channel)
        raise _BadCredentials
    record_success(session=session, address=address, username=username)
    record_login(session=session, username=username, succeeded=True, channel=channel)
    return user


def safe_next(target: str | None) -> str:
    """Only same-site paths: an attacker's ``next=https://evil`` must not bounce a user there."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return DEFAULT_LANDING
    if any(ch in target for ch in "\r\n\t") or target.startswith("/login"):
        return DEFAULT_LANDING
    return target


def _login_page(
    request: Request,
    *,
    next_url: str,
    status_code: int = 200,
    error: str = "",
    username: str = "",
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"next": next_url, "error": error, "username": username},
        status_code=status_code,
        headers=headers,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_form(request: Request, user: OptionalUser, next: str | None = None) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_url=safe_next(next))


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
def login(
    request: Request,
    session: SessionDep,
    _csrf: CsrfChecked,
    username: Annotated[str, Form(max_length=MAX_USERNAME_LENGTH)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
    remember: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    username = username.strip()
    target = safe_next(next)
    if not username or not password:
        return _login_page(
            request,
            next_url=target,
            status_code=400,
            username=username,
            error="请输入用户名和密码 / enter your username and password",
        )
    try:
        user = check_credentials(
            session=session,
            address=client_address(request),
            username=username,
            password=password,
            channel="web",
        )
    except LoginThrottled as exc:
        minutes = (exc.retry_after_s + 59) // 60
        return _login_page(
            request,
            next_url=target,
            status_code=429,
            username=username,
            headers={"Retry-After": str(exc.retry_after_s)},
            error=f"登录失败次数过多，请 {minutes} 分钟后再试 / too many failed sign-ins; "
            f"try again in {minutes} min",
        )
    except _BadCredentials:
        return _login_page(
            request,
            next_url=target,
            status_code=400,
            username=username,
            error="用户名或密码错误 / wrong username or password",
        )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, session, user, remember=bool(remember))
    return response


@router.get("/logout", response_class=HTMLResponse, include_in_schema=False)
def logout_page(request: Request, user: OptionalUser) -> Response:
    """A typed or bookmarked /logout: the sign-out button (a GET changes nothing)."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    response = templates.TemplateResponse(request, "logout.html", {})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, session: SessionDep, _csrf: CsrfChecked) -> Response:
    response = RedirectResponse("/login", status_code=303)
    end_session(request, session, response)
    return response


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(
        default=None,
        max_length=MAX_USERNAME_LENGTH,
        description="with password, when not already signed in",
    )
    password: str | None = Field(default=None, max_length=MAX_PASSWORD_LENGTH)
    name: str = Field(default="", max_length=64, description="a label, e.g. 'laptop notebook'")
    days: int = Field(default=90, ge=1, le=365, description="lifetime in days")


class TokenIssued(BaseModel):
    id: int
    token: str = Field(description="send as 'Authorization: Bearer <token>'; shown only once")
    name: str
    username: str
    role: str
    expires_at: datetime | None


class Me(BaseModel):
    username: str
    role: str
    scope_level: str
    scope_code: str


@router.post(
    "/api/v1/tokens",
    response_model=TokenIssued,
    status_code=201,
    tags=["auth"],
    responses={401: {}, 429: {}},
)
def create_token(
    body: TokenCreate, request: Request, session: SessionDep, user: OptionalUser
) -> Any:
    """Issue a bearer token to the signed-in user, or to ``username`` + ``password``.

    The body must be JSON, so a cross-site HTML form cannot make a signed-in browser ask for one.
    """
    if body.username is not None or body.password is not None:
        try:
            user = check_credentials(
                session=session,
                address=client_address(request),
                username=(body.username or "").strip(),
                password=body.password or "",
                channel="api",
            )
        except LoginThrottled as exc:
            raise HTTPException(
                status_code=429,
                detail="too many failed sign-ins; retry later",
                headers={"Retry-After": str(exc.retry_after_s)},
            ) from None
        except _BadCredentials:
            raise HTTPException(
                status_code=401,
                detail="wrong username or password",
                headers={"WWW-Authenticate": "Bearer"},
            ) from None
    if user is None:
        raise HTTPException(
            status_code=401,
            detail="sign in, or send username and password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token, row = issue_token(
        session=session, user=user, name=body.name, lifetime=timedelta(days=body.days)
    )
    return {
        "id": row.id,
        "token": token,
        "name": row.name,
        "username": user.username,
        "role": user.role,
        "expires_at": row.expires_at,
    }


@router.delete("/api/v1/tokens/{token_id}", status_code=204, tags=["auth"], responses=errors(404))
def delete_token(token_id: RowIdPath, session: SessionDep, user: CurrentUser) -> Response:
    """Revoke one of your tokens (an admin may revoke anyone's)."""
    revoke_token(session=session, token_id=token_id, actor=user, any_owner=user.role == "admin")
    return Response(status_code=204)


@router.get("/api/v1/me", response_model=Me, tags=["auth"])
def me(user: CurrentUser) -> Any:
    """Who the token or session belongs to, and its scope."""
    return {
        "username": user.username,
        "role": user.role,
        "scope_level": user.scope_level,
        "scope_code": user.scope_code,
    }
