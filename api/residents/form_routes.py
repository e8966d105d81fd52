"""The residents' questionnaire: scan → notice and age gate → one page per dimension → 提交成功.

Two ways in, one form: ``/s/{token}`` (a community's signed open link, printed as a QR poster)
and ``/i/{code}`` (a single-use invitation code). The link or code, never a form field, decides
the wave and community. Each page posts to the same address (post/redirect/get), is merged into
the server-side draft of its client id, and nothing a resident typed is ever thrown away: a
stale CSRF token, a rate limit or an invalid answer re-renders the page with every answer kept.
Everything works without JavaScript; ``survey.js`` adds autosave on change and a browser copy.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.deps import SessionDep, SettingsDep
from api.residents import autosave_routes as survey_autosave
from api.residents.entry import (
    CID_COOKIE,
    Entry,
    check_open,
    checks_csrf_in_body,
    form_url,
    invitation_entry,
    open_entry,
    receipt_page,
    refusal,
    render_form,
    response_of,
)
from api.residents.form_limits import TooManyFields, read_form, too_many_fields
from api.residents.forms import (
    action_of,
    client_id_of,
    form_text,
    honeypot_filled,
    page_answers,
    page_index,
)
from api.residents.public_routes import public_path
from api.residents.start_stamp import STAMP_FIELD, stamped_start, start_stamp
from api.residents.views import local, message, page
from api.settings import Settings
from api.web.csrf import CSRF_FIELD, csrf_valid
from api.web.i18n import request_lang
from api.web.ratelimit import check_in, client_address, enforce
from survey.errors import AnswerValidationError, ConflictError, FieldProblem
from survey.grids import GRID_CODE, grid_problems
from survey.questionnaire import paging
from survey.storage.access import (
    AccessError,
    WaveNotAcceptingError,
    check_invitation,
    format_code,
    normalise_code,
)
from survey.storage.drafts import (
    RESTARTED,
    belongs_to,
    discard_draft,
    get_draft,
    save_page,
    set_page,
    start_draft,
    submit_draft,
)
from survey.storage.intake import HONEYPOT
from survey.storage.models import Draft
from survey.storage.sources import source_hash

PageQuery = Annotated[int | None, Query(ge=0, le=999)]

router = APIRouter(tags=["survey form"], include_in_schema=False)

# -- showing the form -------------------------------------------------------------------------


def new_client_id() -> str:
    return str(uuid.uuid4())


def show_form(
    request: Request,
    session: Session,
    settings: Settings,
    entry: Entry,
    cid: str | None,
    page_no: int | None,
    new: bool,
) -> Response:
    remembered = client_id_of(cid) or client_id_of(request.cookies.get(CID_COOKIE))
    client_id = None if new else remembered
    row = response_of(session, client_id)
    if row is not None and row.wave_id == entry.wave.id and row.community_id == entry.community.id:
        return receipt_page(request, entry, row)
    try:
        check_open(entry)
    except WaveNotAcceptingError as error:
        if error.reason == "closed":  # the poster now leads to the results (你说 · 我们做)
            return RedirectResponse(
                public_path(entry.wave.code, entry.community.code), status_code=303
            )
        return refusal(request, error)
    except ConflictError as error:
        return refusal(request, error)
    draft = get_draft(session=session, client_id=client_id) if client_id and row is None else None
    q, n_pages = entry.questionnaire, len(paging.page_sections(entry.questionnaire))
    if draft is not None and belongs_to(
        draft, wave=entry.wave, community_id=entry.community.id or 0, invitation=entry.invitation
    ):
        client_id, answers, stamp, saved_page = (
            draft.client_id,
            dict(draft.answers),
            None,
            draft.page,
        )
    else:
        # Nothing is stored until the first save (api/residents/start_stamp.py): the page
        # carries when it was served. A remembered id with nothing behind it is kept.
        if draft is not None or row is not None or client_id is None:
            client_id = new_client_id()
        answers, stamp, saved_page = {}, start_stamp(settings, client_id), 0
    index = page_no if page_no is not None and page_no < n_pages else min(saved_page, n_pages - 1)
    if not paging.shown_items(q, index, answers):
        index = paging.next_page(q, index, answers) or 0
    return render_form(request, settings, entry, client_id, index, answers, stamp=stamp)


@router.get("/s/{token}")
def open_form(
    request: Request,
    token: str,
    session: SessionDep,
    settings: SettingsDep,
    cid: str | None = None,
    page: PageQuery = None,
    new: bool = False,
    code: str | None = None,
) -> Response:
    enforce(request, session, settings, "page")
    try:
        entry = open_entry(session, settings, token)
    except AccessError as error:
        return refusal(request, error)
    if entry.wave.access_mode != "invitation":
        return show_form(request, session, settings, entry, cid, page, new)
    if code is None:
        return message(request, 200, "code_title", "code_text", code_form=entry.path)
    try:
        check_invitation(session=session, code=code, wave=entry.wave, community=entry.community)
    except (AccessError, ConflictError) as error:
        return refusal(request, error)
    return RedirectResponse(f"/i/{format_code(normalise_code(code))}", status_code=303)


@router.get("/i")
def invitation_start(
    request: Request, session: SessionDep, settings: SettingsDep, code: str | None = None
) -> Response:
    enforce(request, session, settings, "page")
    if code is None:
        return message(request, 200, "code_title", "code_text", code_form="/i")
    try:
        return RedirectResponse(f"/i/{format_code(normalise_code(code))}", status_code=303)
    except AccessError as error:
        return message(request, 400, "code_title", error.reason, code_form="/i", code_value=code)


@router.get("/i/{code}")
def invitation_form(
    request: Request,
    code: str,
    session: SessionDep,
    settings: SettingsDep,
    cid: str | None = None,
    page: PageQuery = None,
) -> Response:
    enforce(request, session, settings, "page")
    try:
        entry = invitation_entry(session, code)
    except AccessError as error:
        return refusal(request, error)
    if entry.path != f"/i/{code}":  # one canonical address, so the resume cookie always matches
        return RedirectResponse(entry.path, status_code=303)
    return show_form(request, session, settings, entry, cid, page, new=False)


# -- receiving pages --------------------------------------------------------------------------


# The posts are ``async`` only to await the form body; everything that touches the database
# (the link's look-ups, the draft, the submission) runs in the thread pool, never on the event
# loop (tests/api/test_async_handlers.py).


@router.post("/s/{token}")
@checks_csrf_in_body
async def open_form_post(
    request: Request, token: str, session: SessionDep, settings: SettingsDep
) -> Response:
    found = await run_in_threadpool(_open_post_entry, request, session, settings, token)
    if isinstance(found, Response):
        return found
    return await _receive(request, session, settings, found)


def _open_post_entry(
    request: Request, session: Session, settings: Settings, token: str
) -> Entry | Response:
    try:
        entry = open_entry(session, settings, token)
    except AccessError as error:
        return refusal(request, error)
    if entry.wave.access_mode == "invitation":
        return message(request, 403, "code_title", "code_text", code_form=entry.path)
    return entry


@router.post("/i/{code}")
@checks_csrf_in_body
async def invitation_form_post(
    request: Request, code: str, session: SessionDep, settings: SettingsDep
) -> Response:
    found = await run_in_threadpool(_invitation_post_entry, request, session, code)
    if isinstance(found, Response):
        return found
    return await _receive(request, session, settings, found)


def _invitation_post_entry(request: Request, session: Session, code: str) -> Entry | Response:
    try:
        return invitation_entry(session, code)
    except AccessError as error:
        return refusal(request, error)


async def _receive(
    request: Request, session: Session, settings: Settings, entry: Entry
) -> Response:
    try:
        form = await read_form(request, entry.questionnaire)
    except TooManyFields as error:
        return await run_in_threadpool(refuse_oversized, request, session, settings, entry, error)
    return await run_in_threadpool(receive_page, request, session, settings, entry, form)


def refuse_oversized(
    request: Request, session: Session, settings: Settings, entry: Entry, error: TooManyFields
) -> Response:
    """413 for a post with more fields than the questionnaire has: the page comes back with
    what its first fields answered and nothing is stored."""
    form, q = error.kept, entry.questionnaire
    client_id = client_id_of(form_text(form, "client_id")) if form is not None else None
    index = page_index(form_text(form, "page"), len(paging.page_sections(q))) if form else None
    if form is None or client_id is None or index is None:
        return too_many_fields(request, error)
    draft = get_draft(session=session, client_id=client_id)
    if draft is not None and not belongs_to(
        draft, wave=entry.wave, community_id=entry.community.id or 0, invitation=entry.invitation
    ):
        return message(request, 403, "refused_title", "other_form")
    codes = paging.page_codes(q, index)
    sent, _ = page_answers(form, [q.item(c) for c in codes])
    shown = paging.merge_page(draft.answers if draft else {}, codes, sent)
    stamp = form_text(form, STAMP_FIELD, 500) if draft is None else None
    return render_form(
        request,
        settings,
        entry,
        client_id,
        index,
        shown,
        notice="too_many",
        status_code=413,
        stamp=stamp,
    )


def receive_page(
    request: Request, session: Session, settings: Settings, entry: Entry, form: FormData
) -> Response:
    q = entry.questionnaire
    client_id = client_id_of(form_text(form, "client_id"))
    index = page_index(form_text(form, "page"), len(paging.page_sections(q)))
    if client_id is None or index is None:
        return message(request, 400, "refused_title", "bad_form")
    action = action_of(form)
    codes = paging.page_codes(q, index)
    sent, parse_problems = page_answers(form, [q.item(c) for c in codes])
    row = response_of(session, client_id)
    draft = get_draft(session=session, client_id=client_id)
    community_id = entry.community.id or 0
    if (row is not None and (row.wave_id, row.community_id) != (entry.wave.id, community_id)) or (
        draft is not None
        and not belongs_to(
            draft, wave=entry.wave, community_id=community_id, invitation=entry.invitation
        )
    ):
        return message(request, 403, "refused_title", "other_form")
    if row is not None and (action != "submit" or draft is None):
        return RedirectResponse(form_url(entry, client_id), status_code=303)  # the receipt
    # Until a draft exists the page carries when it was served; pass it on when refusing.
    stamp = form_text(form, STAMP_FIELD, 500) if draft is None else None
    if not csrf_valid(request, settings, form_text(form, CSRF_FIELD, 500)):
        # Refused, but nothing is lost: the page comes back with what was sent and a new token.
        shown = paging.merge_page(draft.answers if draft else {}, codes, sent)
        return render_form(
            request,
            settings,
            entry,
            client_id,
            index,
            shown,
            notice="confirm",
            status_code=403,
            stamp=stamp,
        )
    limited = check_in(request, settings, "page", session)
    if limited:  # refused, but the page comes back with every answer kept
        shown = paging.merge_page(draft.answers if draft else {}, codes, sent)
        return _rate_page(request, settings, entry, client_id, index, shown, limited, stamp)
    if row is None:
        try:
            check_open(entry)
        except ConflictError as error:
            return refusal(request, error)
    if draft is None and parse_problems:  # nothing stored for a page that cannot be read
        shown = paging.merge_page({}, codes, sent)
        return render_form(
            request,
            settings,
            entry,
            client_id,
            index,
            shown,
            problems=parse_problems,
            status_code=422,
            stamp=stamp,
        )
    if draft is None:  # the first save (or the draft was purged): start it now
        started_at = stamped_start(settings, client_id, stamp)
        draft = start_draft(
            session=session,
            wave=entry.wave,
            community_id=community_id,
            invitation=entry.invitation,
            client_id=client_id,
            flags=[] if started_at else [RESTARTED],
            started_at=started_at,
        )
    flags = [HONEYPOT] if honeypot_filled(form) else []
    saved = save_page(
        session=session,
        draft=draft,
        questionnaire=q,
        codes=codes,
        page_answers=sent,
        page=index,
        flags=flags,
    )
    shown = paging.merge_page(saved.answers, codes, sent)
    return _after_save(
        request,
        session,
        settings,
        entry,
        draft,
        index,
        action,
        shown,
        parse_problems,
        row is not None,
    )


def _after_save(
    request: Request,
    session: Session,
    settings: Settings,
    entry: Entry,
    draft: Draft,
    index: int,
    action: str,
    shown: dict[str, Any],
    parse_problems: list[FieldProblem],
    is_retry: bool,
) -> Response:
    q, client_id = entry.questionnaire, draft.client_id
    if action == "back":
        previous = paging.previous_page(q, index, draft.answers)
        target = index if previous is None else previous
        set_page(session=session, draft=draft, page=target)
        return RedirectResponse(form_url(entry, client_id, target), status_code=303)
    closing = paging.gate_closed(q, shown)
    if closing is not None:
        discard_draft(session=session, draft=draft)
        text = local(closing, request_lang(request))
        response = page(request, "survey/ended.html", {"text": text})
        response.delete_cookie(CID_COOKIE, path=entry.path)
        return response
    problems = parse_problems + paging.page_problems(q, shown, index)
    if GRID_CODE in paging.page_codes(q, index):
        problems += grid_problems(entry.community.grids or [], shown)
    if problems:
        return render_form(
            request, settings, entry, client_id, index, shown, problems=problems, status_code=422
        )
    following = paging.next_page(q, index, draft.answers)
    if action == "next" and following is not None:
        set_page(session=session, draft=draft, page=following)
        return RedirectResponse(form_url(entry, client_id, following), status_code=303)
    return _submit(request, session, settings, entry, draft, is_retry)


def _submit(
    request: Request,
    session: Session,
    settings: Settings,
    entry: Entry,
    draft: Draft,
    is_retry: bool,
) -> Response:
    q, client_id = entry.questionnaire, draft.client_id
    problems = paging.problems_of(q, draft.answers)
    problems += grid_problems(entry.community.grids or [], draft.answers)
    if problems:  # an earlier page is incomplete (e.g. pages were skipped by URL): go there
        first = paging.first_page_with(q, problems)
        set_page(session=session, draft=draft, page=first)
        on_page = [p for p in problems if p.field in set(paging.page_codes(q, first))]
        return render_form(
            request,
            settings,
            entry,
            client_id,
            first,
            dict(draft.answers),
            problems=on_page or problems,
            status_code=422,
        )
    if not is_retry:  # identical retries are answered from the stored row, never limited
        seconds = check_in(request, settings, "submit", session)
        if seconds:
            return _rate_page(
                request, settings, entry, client_id, draft.page, dict(draft.answers), seconds
            )
    try:
        submit_draft(
            session=session,
            draft=draft,
            channel="web",
            source_hash=source_hash(
                secret=settings.secret_key,
                wave_code=entry.wave.code,
                address=client_address(request, settings),
            ),
        )
    except (ConflictError, AccessError) as error:
        return refusal(request, error)
    except AnswerValidationError as error:  # pragma: no cover - checked just above
        return render_form(
            request,
            settings,
            entry,
            client_id,
            draft.page,
            dict(draft.answers),
            problems=error.problems,
            status_code=422,
        )
    return RedirectResponse(form_url(entry, client_id), status_code=303)


def _rate_page(
    request: Request,
    settings: Settings,
    entry: Entry,
    client_id: str,
    index: int,
    answers: dict[str, Any],
    seconds: int,
    stamp: str | None = None,
) -> Response:
    return render_form(
        request,
        settings,
        entry,
        client_id,
        index,
        answers,
        notice="rate",
        status_code=429,
        headers={"Retry-After": str(seconds)},
        wait_seconds=seconds,
        stamp=stamp,
    )


router.include_router(survey_autosave.router)
