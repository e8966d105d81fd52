"""The officials' action pages (整改事项): the list with its create form, one action with its
edit and progress-note forms.

The same rules as the JSON API (api/officials/action_routes.py): any staff user reads the
actions of their scope, officials and admins change them, other scopes answer 404. Every form
posts the CSRF token; a refused change re-renders the page with the reason and a 4xx status,
and changes nothing. No script: the pages work as plain forms on a phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.deps import RowIdPath, SessionDep
from api.officials.action_routes import scoped_actions, visible_action, writable_action
from api.officials.page_routes import PAGE_HEADERS, _lang_url
from api.officials.render import base_context
from api.officials.text import official_translator
from api.services.actions import (
    STATUS_WORDS,
    action_views,
    check_codes,
    labels_for_codes,
    summary_of,
)
from api.services.published import public_row
from api.services.snapshot_store import ordered_waves, wave_results
from api.web.auth import CurrentUser
from api.web.csrf import CsrfChecked
from api.web.i18n import remember_lang, request_lang
from api.web.permissions import require_action_scope
from api.web.templating import templates
from survey.errors import ConflictError, NotFoundError, SurveyError
from survey.storage.actions import (
    STATUSES,
    ActionFields,
    add_note,
    create_action,
    update_action,
)
from survey.storage.models import User
from survey.storage.registry import get_wave

router = APIRouter(tags=["action pages"], include_in_schema=False)
WRITERS = ("admin", "official")

Text = Annotated[str, Form(max_length=2000)]
Codes = Annotated[list[str], Form(max_length=20)]


def _may_write(user: User) -> bool:
    return user.role in WRITERS


def _refuse_reader(user: User) -> None:
    if not _may_write(user):
        raise HTTPException(status_code=403, detail="researchers may read actions, not change them")


def _date(name: str, value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SurveyError(f"{name}: {value[:20]!r} is not a date (YYYY-MM-DD)") from None


def _budget(value: str) -> float | None:
    value = value.strip().replace(",", "")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise SurveyError(f"budget: {value[:20]!r} is not a number of yuan") from None


def _codes(values: list[str]) -> list[str]:
    # A select sends one value per option; a typed list may be "D3.2, D4.1".
    return [c.strip() for v in values for c in v.replace("，", ",").split(",") if c.strip()]


def form_fields(
    *,
    title: str,
    codes: list[str],
    owner: str,
    start_date: str,
    due_date: str,
    budget: str,
    theme: str,
    wave_code: str,
) -> ActionFields:
    return ActionFields(
        title=title,
        codes=_codes(codes),
        owner=owner,
        start_date=_date("start_date", start_date),
        due_date=_date("due_date", due_date),
        budget=_budget(budget),
        theme=theme,
        wave_code=wave_code.strip(),
    )


def _render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    response = templates.TemplateResponse(
        request, template, context, status_code=status, headers=PAGE_HEADERS
    )
    remember_lang(response, request)
    return response


def _code_options(
    session: Session, wave_code: str, priorities: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The sub-dimensions by dimension; the community's priorities marked (and listed first)."""
    try:
        labels = labels_for_codes(session, wave_code)
    except SurveyError:
        labels = labels_for_codes(session)
    options = []
    if priorities:
        options.append(
            {
                "label": {"zh": "本社区重点改进项", "en": "This community's priorities"},
                "codes": [
                    {"code": s, "label": labels.subdimensions[s], "priority": True}
                    for s in priorities
                    if s in labels.subdimensions
                ],
            }
        )
    for dim, dim_label in labels.dimensions.items():
        subs = [s for s, d in labels.dimension_of_sub.items() if d == dim and s not in priorities]
        options.append(
            {
                "label": dim_label,
                "codes": [{"code": s, "label": labels.subdimensions[s]} for s in subs],
            }
        )
    return options


def community_priorities(session: Session, user: User, community: str, wave_code: str) -> list[str]:
    """The community's "improve first" sub-dimensions in the wave, if the user may see them."""
    if not community or not wave_code:
        return []
    try:
        require_action_scope(user, session, "community", community)
        wave = get_wave(session=session, code=wave_code)
        row = public_row(wave_results(session=session, wave=wave, model_name=None), community)
    except (HTTPException, SurveyError):
        return []  # out of scope, no such wave, or not scored: no priorities to offer
    if row is None or row.priorities is None:
        return []
    return list(row.priorities.improve_first)


def _status_choices(lang: str) -> list[tuple[str, str]]:
    return [(s, STATUS_WORDS[s][0 if lang == "zh" else 1]) for s in STATUSES]


def list_context(
    request: Request,
    session: Session,
    user: User,
    *,
    status: str = "",
    scope: str = "",
    prefill: dict[str, Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    lang = request_lang(request)
    t = official_translator(lang)
    statuses = [status] if status in STATUSES else None
    views = action_views(
        session, scoped_actions(session, user, scope=scope or None, status=statuses)
    )
    waves = ordered_waves(session=session)
    prefill = prefill or {}
    ctx = base_context(
        lang,
        page_title=t("actions"),
        nav_wave=waves[-1].code if waves else None,
        lang_url=_lang_url(request, lang),
    )
    ctx.update(
        actions=views,
        summary=summary_of(views),
        status_filter=status,
        scope_filter=scope,
        statuses=_status_choices(lang),
        may_write=_may_write(user),
        code_options=_code_options(
            session,
            str(prefill.get("wave_code", "")),
            community_priorities(
                session,
                user,
                str(prefill.get("scope_code", ""))
                if prefill.get("scope_level") != "street"
                else "",
                str(prefill.get("wave_code", "")),
            ),
        ),
        waves=[w.code for w in waves],
        prefill=prefill,
        error=error,
    )
    return ctx


@router.get("/actions", response_class=HTMLResponse)
def actions_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[str, Query(max_length=16)] = "",
    scope: Annotated[str, Query(max_length=32)] = "",
    code: Annotated[str, Query(max_length=32)] = "",
    wave: Annotated[str, Query(max_length=32)] = "",
    community: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """The list; ``?community=C1&code=D3.2&wave=W1`` pre-fills the create form (the
    scorecard's "create an action" link)."""
    prefill = {"scope_code": community, "codes": [code] if code else [], "wave_code": wave}
    ctx = list_context(request, session, user, status=status, scope=scope, prefill=prefill)
    return _render(request, "official/actions.html", ctx)


@router.post("/actions")
def actions_create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    scope_level: Annotated[str, Form(max_length=16)] = "community",
    scope_code: Annotated[str, Form(max_length=32)] = "",
    title: Text = "",
    codes: Codes = [],  # noqa: B006 - FastAPI copies defaults
    owner: Text = "",
    start_date: Annotated[str, Form(max_length=20)] = "",
    due_date: Annotated[str, Form(max_length=20)] = "",
    budget: Annotated[str, Form(max_length=30)] = "",
    theme: Text = "",
    wave_code: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    _refuse_reader(user)
    raw = {
        "scope_level": scope_level,
        "scope_code": scope_code,
        "title": title,
        "codes": _codes(codes),
        "owner": owner,
        "start_date": start_date,
        "due_date": due_date,
        "budget": budget,
        "theme": theme,
        "wave_code": wave_code,
    }
    try:
        if not scope_code.strip():
            raise SurveyError("scope_code: name the community or street of the action")
        if scope_level not in ("community", "street"):
            raise SurveyError(f"scope_level is community or street, not {scope_level[:16]!r}")
        require_action_scope(user, session, scope_level, scope_code.strip())
        fields = form_fields(
            title=title,
            codes=codes,
            owner=owner,
            start_date=start_date,
            due_date=due_date,
            budget=budget,
            theme=theme,
            wave_code=wave_code,
        )
        check_codes(labels_for_codes(session, fields.wave_code), fields.codes)
        action = create_action(
            session=session,
            scope_level=scope_level,
            scope_code=scope_code.strip(),
            fields=fields,
            actor=user.username,
        )
    except SurveyError as exc:
        session.rollback()
        status = 404 if isinstance(exc, NotFoundError) else 409 if _conflict(exc) else 400
        ctx = list_context(request, session, user, prefill=raw, error=str(exc))
        return _render(request, "official/actions.html", ctx, status)
    session.commit()
    return RedirectResponse(f"/actions/{action.id}", status_code=303)


def _conflict(exc: Exception) -> bool:
    return isinstance(exc, ConflictError)


def detail_context(
    request: Request, session: Session, user: User, action_id: int, error: str | None = None
) -> dict[str, Any]:
    lang = request_lang(request)
    t = official_translator(lang)
    action = visible_action(session, user, action_id)
    view = action_views(session, [action], notes=True)[0]
    waves = ordered_waves(session=session)
    ctx = base_context(
        lang,
        page_title=f"{t('action')} #{action_id}",
        nav_wave=waves[-1].code if waves else None,
        lang_url=_lang_url(request, lang),
    )
    writable = _may_write(user)
    if writable:
        try:
            require_action_scope(user, session, action.scope_level, action.scope_code)
        except HTTPException:  # a community official reading the street's action
            writable = False
    closed_waves = [w.code for w in waves if w.status == "closed"]
    ctx.update(
        a=view,
        may_write=writable and action.status != "cancelled",
        statuses=_status_choices(lang),
        status_words=dict(_status_choices(lang)),
        code_options=_code_options(session, action.wave_code),
        waves=[w.code for w in waves],
        public_url=(
            f"/p/{closed_waves[-1]}/{action.scope_code}"
            if closed_waves and action.scope_level == "community"
            else None
        ),
        error=error,
    )
    return ctx


@router.get("/actions/{action_id}", response_class=HTMLResponse)
def action_page(
    request: Request, action_id: RowIdPath, session: SessionDep, user: CurrentUser
) -> Response:
    return _render(
        request, "official/action.html", detail_context(request, session, user, action_id)
    )


def _refused(
    request: Request, session: Session, user: User, action_id: int, exc: SurveyError
) -> Response:
    session.rollback()
    status = 404 if isinstance(exc, NotFoundError) else 409 if _conflict(exc) else 400
    ctx = detail_context(request, session, user, action_id, error=str(exc))
    return _render(request, "official/action.html", ctx, status)


@router.post("/actions/{action_id}")
def action_update(
    request: Request,
    action_id: RowIdPath,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    title: Text = "",
    codes: Codes = [],  # noqa: B006 - FastAPI copies defaults
    owner: Text = "",
    start_date: Annotated[str, Form(max_length=20)] = "",
    due_date: Annotated[str, Form(max_length=20)] = "",
    budget: Annotated[str, Form(max_length=30)] = "",
    theme: Text = "",
    wave_code: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    _refuse_reader(user)
    action = writable_action(session, user, action_id)
    try:
        fields = form_fields(
            title=title,
            codes=codes,
            owner=owner,
            start_date=start_date,
            due_date=due_date,
            budget=budget,
            theme=theme,
            wave_code=wave_code,
        )
        check_codes(labels_for_codes(session, fields.wave_code), fields.codes)
        update_action(
            session=session, action_id=action.id or 0, changes=fields.__dict__, actor=user.username
        )
    except SurveyError as exc:
        return _refused(request, session, user, action_id, exc)
    session.commit()
    return RedirectResponse(f"/actions/{action_id}", status_code=303)


@router.post("/actions/{action_id}/notes")
def action_note(
    request: Request,
    action_id: RowIdPath,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    note: Text = "",
    status: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    _refuse_reader(user)
    writable_action(session, user, action_id)
    try:
        add_note(
            session=session,
            action_id=action_id,
            note=note,
            status=status or None,
            actor=user.username,
        )
    except SurveyError as exc:
        return _refused(request, session, user, action_id, exc)
    session.commit()
    return RedirectResponse(f"/actions/{action_id}?{urlencode({'saved': '1'})}", status_code=303)
