"""Staff administration pages: accounts (create, disable, enable, reset the password), API
tokens (issue, revoke) and the audit log with filters.

Admins only. Every change is a POST with the CSRF token that goes through the storage functions
``meihao user`` and ``meihao token`` use (survey/storage/users.py) and is audited under the
admin's username. A new password or token is shown once, on the page that answers the POST
(``Cache-Control: no-store``), and stored only as its hash. A refusal re-renders the list with
the reason and a 4xx status; nothing changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.admin.staff_text import staff_translator
from api.deps import RowIdPath, SessionDep
from api.residents.views import SECURITY_HEADERS
from api.web.auth import ROLE_LABELS, AdminUser
from api.web.csrf import CsrfChecked
from api.web.i18n import other_lang, remember_lang, request_lang
from api.web.templating import templates
from survey.errors import ConflictError, NotFoundError, SurveyError
from survey.storage.audit import MAX_ROWS, AuditFilter, audit_actions, audit_events
from survey.storage.models import User
from survey.storage.users import (
    MAX_USERNAME_LENGTH,
    MIN_PASSWORD_LENGTH,
    ROLES,
    SCOPE_LEVELS,
    UserInputError,
    create_user,
    generated_password,
    get_user,
    issue_token,
    list_tokens,
    list_users,
    reset_password,
    revoke_token,
    set_active,
)

router = APIRouter(prefix="/admin", tags=["staff admin"], include_in_schema=False)

BEIJING = timezone(timedelta(hours=8))  # dates on the page are Beijing days, like wave dates
MAX_TOKEN_DAYS = 365
PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "not an admin, or no valid CSRF token"},
    404: {"description": "no such account or token"},
    409: {"description": "refused by the account's state (own account, last admin, taken name)"},
    422: {"description": "a field that does not make sense (the page names it)"},
}


def _render(
    request: Request, name: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    lang = request_lang(request)
    full = {
        "lang": lang,
        "t": staff_translator(lang),
        "other_lang": other_lang(lang),
        "role_labels": ROLE_LABELS,
        **context,
    }
    response = templates.TemplateResponse(
        request, f"admin/{name}", full, status_code=status, headers=SECURITY_HEADERS
    )
    remember_lang(response, request)
    return response


def _status(error: SurveyError) -> int:
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError):
        return 409
    return 422


def _staff_page(
    request: Request,
    session: Session,
    *,
    error: str | None = None,
    status: int = 200,
    secret: dict[str, str] | None = None,
) -> HTMLResponse:
    context = {
        "users": list_users(session=session),
        "tokens": list_tokens(session=session),
        "roles": ROLES,
        "scope_levels": SCOPE_LEVELS,
        "min_password": MIN_PASSWORD_LENGTH,
        "max_username": MAX_USERNAME_LENGTH,
        "max_days": MAX_TOKEN_DAYS,
        "error": error,
        "secret": secret,
    }
    return _render(request, "staff.html", context, status)


def _refused(request: Request, session: Session, error: SurveyError) -> HTMLResponse:
    session.rollback()
    return _staff_page(request, session, error=str(error), status=_status(error))


@router.get("/staff", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def staff_page(request: Request, session: SessionDep, _: AdminUser) -> Response:
    return _staff_page(request, session)


@router.post("/staff", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def staff_create(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    _csrf: CsrfChecked,
    username: Annotated[str, Form(max_length=MAX_USERNAME_LENGTH)],
    role: Annotated[str, Form(max_length=16)],
    scope_level: Annotated[str, Form(max_length=16)] = "district",
    scope_code: Annotated[str, Form(max_length=32)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Create an account; without a password one is generated and shown once."""
    chosen = password or generated_password()
    try:
        user = create_user(
            session=session,
            username=username,
            password=chosen,
            role=role,
            scope_level=scope_level,
            scope_code=scope_code.strip(),
            actor=admin.username,
        )
    except SurveyError as error:
        return _refused(request, session, error)
    t = staff_translator(request_lang(request))
    secret = {"title": t("created_user", user=user.username)}
    if not password:
        secret |= {"label": t("password_of", user=user.username), "value": chosen}
    return _staff_page(request, session, secret=secret, status=201)


def _set_active(
    request: Request, session: Session, admin: User, username: str, active: bool
) -> Response:
    try:
        set_active(
            session=session,
            username=username,
            active=active,
            actor=admin.username,
            actor_id=admin.id,
        )
    except SurveyError as error:
        return _refused(request, session, error)
    return _staff_page(request, session)


@router.post("/staff/{username}/disable", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def staff_disable(
    request: Request, username: str, session: SessionDep, admin: AdminUser, _csrf: CsrfChecked
) -> Response:
    """Disable an account: its sessions end and its tokens are revoked at once."""
    return _set_active(request, session, admin, username, False)


@router.post("/staff/{username}/enable", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def staff_enable(
    request: Request, username: str, session: SessionDep, admin: AdminUser, _csrf: CsrfChecked
) -> Response:
    return _set_active(request, session, admin, username, True)


@router.post("/staff/{username}/password", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def staff_reset_password(
    request: Request, username: str, session: SessionDep, admin: AdminUser, _csrf: CsrfChecked
) -> Response:
    """A new random password, shown once; the account's sessions end."""
    try:
        password = reset_password(session=session, username=username, actor=admin.username)
    except SurveyError as error:
        return _refused(request, session, error)
    t = staff_translator(request_lang(request))
    label = t("password_of", user=username)
    return _staff_page(request, session, secret={"title": label, "label": label, "value": password})


@router.post("/staff/{username}/tokens", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def staff_issue_token(
    request: Request,
    username: str,
    session: SessionDep,
    admin: AdminUser,
    _csrf: CsrfChecked,
    name: Annotated[str, Form(max_length=64)] = "admin",
    days: Annotated[int, Form()] = 90,
) -> Response:
    """A bearer token for the account (a notebook, a script), shown once."""
    try:
        owner = get_user(session=session, username=username)
        if owner is None:
            raise NotFoundError(f"no user {username!r}")
        if not owner.active:
            raise ConflictError(f"{username!r} is disabled: enable the account first")
        if not 1 <= days <= MAX_TOKEN_DAYS:
            raise UserInputError(f"days must be between 1 and {MAX_TOKEN_DAYS}, not {days}")
        token, row = issue_token(
            session=session,
            user=owner,
            name=name.strip(),
            lifetime=timedelta(days=days),
            actor=admin.username,
        )
    except SurveyError as error:
        return _refused(request, session, error)
    t = staff_translator(request_lang(request))
    expires = f"{row.expires_at.astimezone(BEIJING):%Y-%m-%d}" if row.expires_at else "—"
    label = t("token_of", user=username, id=row.id, expires=expires)
    return _staff_page(
        request, session, secret={"title": label, "label": label, "value": token}, status=201
    )


@router.post("/tokens/{token_id}/revoke", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def token_revoke(
    request: Request, token_id: RowIdPath, session: SessionDep, admin: AdminUser, _csrf: CsrfChecked
) -> Response:
    try:
        revoke_token(session=session, token_id=token_id, actor=admin, any_owner=True)
    except SurveyError as error:
        return _refused(request, session, error)
    return _staff_page(request, session)


# -- the audit log --------------------------------------------------------------------------


def _day(text: str, field: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserInputError(f"{field}: {text!r} is not a date (YYYY-MM-DD)") from None


def _beijing_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(UTC)


@router.get("/audit", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def audit_page(
    request: Request,
    session: SessionDep,
    _: AdminUser,
    actor: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    target: Annotated[str, Query(max_length=128)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The newest events matching the filters; ``since``/``until`` are Beijing dates, both
    included."""
    form = {"actor": actor, "action": action, "target": target, "since": since, "until": until}
    context: dict[str, Any] = {
        "form": form,
        "actions": audit_actions(session=session),
        "events": [],
        "more": False,
        "max_rows": MAX_ROWS,
        "beijing": BEIJING,
        "utc": UTC,
        "error": None,
    }
    try:
        first, last = _day(since, "since"), _day(until, "until")
        if first is not None and last is not None and first > last:
            raise UserInputError(f"since ({first}) is after until ({last})")
    except UserInputError as error:
        return _render(request, "audit.html", {**context, "error": str(error)}, 422)
    where = AuditFilter(
        actor=actor.strip(),
        action=action.strip(),
        target=target.strip(),
        since=_beijing_midnight(first) if first else None,
        until=_beijing_midnight(last + timedelta(days=1)) if last else None,
    )
    events, more = audit_events(session=session, where=where)
    return _render(request, "audit.html", {**context, "events": events, "more": more})
