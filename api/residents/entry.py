"""How a resident's visit is identified and answered: the entry (open link or invitation code),
the client id that keys the draft, and the pages every route of the form renders.

The link or code, never a form field, decides the wave and the community: the entry is resolved
from the address alone, and a draft or response from another entry is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session, select

from api.residents.forms import HONEYPOT_FIELD
from api.residents.public_routes import public_path
from api.residents.start_stamp import STAMP_FIELD
from api.residents.views import item_views, local, message, page
from api.services.notice import notice_text
from api.settings import Settings
from api.web.csrf import CSRF_FIELD, csrf_token
from api.web.https import secure_scheme
from api.web.i18n import other_lang, request_lang
from survey.errors import ConflictError, FieldProblem, NotFoundError
from survey.questionnaire import paging
from survey.questionnaire.model import Questionnaire
from survey.storage.access import (
    AccessError,
    InvitationUsedError,
    WaveNotAcceptingError,
    check_accepting,
    find_invitation,
    format_code,
    normalise_code,
    read_open_link,
    require_invitation_mode,
)
from survey.storage.models import Community, Invitation, Wave
from survey.storage.models import Response as ResponseRow
from survey.storage.registry import get_community, get_wave, questionnaire_for_wave

CID_COOKIE = "meihao_cid"
CID_COOKIE_MAX_AGE_S = 30 * 24 * 3600


def checks_csrf_in_body(endpoint: Any) -> Any:
    """Mark an endpoint that verifies the CSRF token itself (to keep answers on failure);
    ``tests/api/test_survey_form.py`` pins that every state-changing form route is covered."""
    endpoint.checks_csrf = True
    return endpoint


@dataclass
class Entry:
    """Where a resident came in: the address the form posts to, and what it decides."""

    path: str
    wave: Wave
    community: Community
    questionnaire: Questionnaire
    invitation: Invitation | None = None


def open_entry(session: Session, settings: Settings, token: str) -> Entry:
    wave_code, community_code = read_open_link(secret=settings.secret_key, token=token)
    try:
        wave = get_wave(session=session, code=wave_code)
        community = get_community(session=session, code=community_code)
    except NotFoundError:
        raise AccessError(
            "the wave or community of this link no longer exists", "bad_link"
        ) from None
    q = questionnaire_for_wave(session=session, wave=wave)
    return Entry(f"/s/{token}", wave, community, q)


def invitation_entry(session: Session, code: str) -> Entry:
    invitation = find_invitation(session=session, code=code)
    wave = session.get(Wave, invitation.wave_id)
    community = session.get(Community, invitation.community_id)
    assert wave is not None and community is not None
    require_invitation_mode(wave)
    q = questionnaire_for_wave(session=session, wave=wave)
    return Entry(f"/i/{format_code(normalise_code(code))}", wave, community, q, invitation)


def check_open(entry: Entry) -> None:
    """Raise a ``ConflictError`` unless this entry may still start or change a response."""
    check_accepting(entry.wave)
    if entry.invitation is not None and entry.invitation.used_at is not None:
        raise InvitationUsedError("this invitation code was already used for a response")


def response_of(session: Session, client_id: str | None) -> ResponseRow | None:
    if client_id is None:
        return None
    return session.exec(select(ResponseRow).where(ResponseRow.client_id == client_id)).first()


def form_url(entry: Entry, client_id: str, index: int | None = None) -> str:
    query = {"cid": client_id} if index is None else {"cid": client_id, "page": str(index)}
    return f"{entry.path}?{urlencode(query)}"


# -- rendering --------------------------------------------------------------------------------


def render_form(
    request: Request,
    settings: Settings,
    entry: Entry,
    client_id: str,
    index: int,
    answers: dict[str, Any],
    *,
    problems: list[FieldProblem] | None = None,
    notice: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    stamp: str | None = None,
    **extra: Any,
) -> Response:
    """The form's page ``index``; ``stamp`` (api/residents/start_stamp.py) when no draft exists
    yet, so that the first save knows when the form was served."""
    q, problems = entry.questionnaire, problems or []
    lang = request_lang(request)
    sections = paging.page_sections(q)
    shown = paging.shown_items(q, index, answers)
    items = item_views(q, shown, answers, problems, lang, grids=entry.community.grids or [])
    token, _nonce = csrf_token(request, settings)  # the CsrfCookie middleware sets the cookie
    context = {
        "entry": entry,
        "client_id": client_id,
        "index": index,
        "n_pages": len(sections),
        "section_title": local(sections[index].title, lang),
        "section_description": local(sections[index].description, lang),
        "survey_title": local(q.title, lang),
        "notice_text": notice_text(q, settings, lang),
        "items": items,
        "errors": [i for i in items if i.error],
        "notice": notice,
        "is_first": paging.previous_page(q, index, answers) is None,
        "is_last": paging.next_page(q, index, answers) is None,
        "csrf_field": CSRF_FIELD,
        "csrf_token": token,
        "honeypot_field": HONEYPOT_FIELD,
        "stamp_field": STAMP_FIELD,
        "stamp": stamp,
        "switch_url": f"{form_url(entry, client_id, index)}&lang={other_lang(lang)}",
        **extra,
    }
    response = page(request, "survey/form.html", context, status_code=status_code, headers=headers)
    _remember_client(response, request, entry, client_id)
    return response


def receipt_page(request: Request, entry: Entry, row: ResponseRow) -> Response:
    response = page(
        request,
        "survey/done.html",
        {
            "entry": entry,
            "receipt": row.client_id[:8].upper(),
            "client_id": row.client_id,
            "new_url": f"{entry.path}?new=1" if entry.invitation is None else None,
            # The community's public results (你说 · 我们做): published once the wave closes.
            "results_url": public_path(entry.wave.code, entry.community.code),
        },
    )
    _remember_client(response, request, entry, row.client_id)
    return response


def _remember_client(response: Response, request: Request, entry: Entry, cid: str) -> None:
    # Scoped to this link: the same phone can answer for two compounds' links independently.
    response.set_cookie(
        CID_COOKIE,
        cid,
        max_age=CID_COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=secure_scheme(request.url.scheme, request.app),
        path=entry.path,
    )


def refusal(request: Request, error: AccessError | ConflictError) -> Response:
    """The page for a link or code that does not open the survey (never a 500, never silent)."""
    reason = getattr(error, "reason", "conflict")
    if isinstance(error, WaveNotAcceptingError):
        return message(request, 409, f"{reason}_title", f"{reason}_text")
    if isinstance(error, InvitationUsedError):
        return message(request, 409, "refused_title", "code_used")
    if isinstance(error, ConflictError):
        return message(request, 409, "conflict_title", "conflict_text")
    if reason == "bad_link":
        return message(request, 400, "bad_link_title", "bad_link_text")
    forbidden = ("other_community", "other_wave", "open_wave")
    status = 404 if reason == "unknown_code" else 403 if reason in forbidden else 400
    return message(request, status, "refused_title", reason)
