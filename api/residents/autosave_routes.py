"""Autosave of the residents' form: ``survey.js`` posts the page being filled (fetch on change,
``sendBeacon`` when the phone switches to a call) into the server-side draft.

Same rules as a page post: the link decides the community, the CSRF token is checked, answers
that are wrong on their own are left out (and named), never the whole page. Answers stay in the
browser's copy whatever this returns, so a refusal here costs nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.deps import SessionDep, SettingsDep
from api.residents.entry import (
    Entry,
    check_open,
    checks_csrf_in_body,
    invitation_entry,
    open_entry,
    response_of,
)
from api.residents.form_limits import TooManyFields, read_form
from api.residents.forms import client_id_of, form_text, honeypot_filled, page_answers, page_index
from api.residents.start_stamp import STAMP_FIELD, stamped_start
from api.settings import Settings
from api.web.csrf import CSRF_FIELD, csrf_valid
from api.web.ratelimit import enforce
from survey.errors import ConflictError
from survey.questionnaire import paging
from survey.storage.access import AccessError
from survey.storage.drafts import RESTARTED, belongs_to, get_draft, save_page, start_draft
from survey.storage.intake import HONEYPOT

router = APIRouter(tags=["survey form"], include_in_schema=False)


# ``async`` only to await the form body: the database work runs in the thread pool (see
# api/residents/form_routes.py).


@router.post("/s/{token}/draft")
@checks_csrf_in_body
async def open_form_autosave(
    request: Request, token: str, session: SessionDep, settings: SettingsDep
) -> Response:
    found = await run_in_threadpool(_open_entry, session, settings, token)
    if isinstance(found, Response):
        return found
    try:
        form = await read_form(request, found.questionnaire)
    except TooManyFields as error:
        return JSONResponse({"detail": str(error)}, status_code=413)
    return await run_in_threadpool(autosave, request, session, settings, found, form)


def _open_entry(session: Session, settings: Settings, token: str) -> Entry | Response:
    try:
        return open_entry(session, settings, token)
    except AccessError as error:
        return JSONResponse({"detail": str(error)}, status_code=400)


@router.post("/i/{code}/draft")
@checks_csrf_in_body
async def invitation_autosave(
    request: Request, code: str, session: SessionDep, settings: SettingsDep
) -> Response:
    found = await run_in_threadpool(_invitation_entry, session, code)
    if isinstance(found, Response):
        return found
    try:
        form = await read_form(request, found.questionnaire)
    except TooManyFields as error:
        return JSONResponse({"detail": str(error)}, status_code=413)
    return await run_in_threadpool(autosave, request, session, settings, found, form)


def _invitation_entry(session: Session, code: str) -> Entry | Response:
    try:
        return invitation_entry(session, code)
    except AccessError as error:
        return JSONResponse({"detail": str(error)}, status_code=400)


def autosave(
    request: Request, session: Session, settings: Settings, entry: Entry, form: FormData
) -> Response:
    """Store the page as it is being filled; the answers stay in the browser whatever happens."""
    enforce(request, session, settings, "autosave")
    q = entry.questionnaire
    client_id = client_id_of(form_text(form, "client_id"))
    index = page_index(form_text(form, "page"), len(paging.page_sections(q)))
    if client_id is None or index is None:
        return JSONResponse({"detail": "client_id and page are required"}, status_code=400)
    if not csrf_valid(request, settings, form_text(form, CSRF_FIELD, 500)):
        return JSONResponse({"detail": "CSRF token missing or expired"}, status_code=403)
    draft = get_draft(session=session, client_id=client_id)
    if draft is not None and not belongs_to(
        draft, wave=entry.wave, community_id=entry.community.id or 0, invitation=entry.invitation
    ):
        return JSONResponse({"detail": "this draft belongs to another link"}, status_code=403)
    if response_of(session, client_id) is not None:
        return JSONResponse({"detail": "already submitted"}, status_code=409)
    try:
        check_open(entry)
    except ConflictError as error:
        return JSONResponse({"detail": str(error)}, status_code=409)
    if draft is None:  # the first save of this form (api/residents/start_stamp.py)
        started_at = stamped_start(settings, client_id, form_text(form, STAMP_FIELD, 500))
        draft = start_draft(
            session=session,
            wave=entry.wave,
            community_id=entry.community.id or 0,
            invitation=entry.invitation,
            client_id=client_id,
            flags=[] if started_at else [RESTARTED],
            started_at=started_at,
        )
    codes = paging.page_codes(q, index)
    sent, parse_problems = page_answers(form, [q.item(c) for c in codes])
    saved = save_page(
        session=session,
        draft=draft,
        questionnaire=q,
        codes=codes,
        page_answers=sent,
        page=index,
        flags=[HONEYPOT] if honeypot_filled(form) else [],
    )
    problems = [p.field for p in [*parse_problems, *saved.problems]]
    return JSONResponse({"saved": True, "page": index, "not_saved": problems})
