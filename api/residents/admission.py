"""What both ways of submitting check before storing anything (``POST /api/v1/responses``: the
fast path of api/residents/fast_submit.py and the full path of responses_routes.py), in this
order: the credential (401/403/422), the client id (422), whether it is stored already (an
identical retry is never rate-limited), the rate limit (429), the wave accepting (409) and the
draft's owner (409)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from sqlmodel import Session

from api.residents.credentials import Credential, resolve_credential
from api.settings import Settings
from api.web.ratelimit import enforce
from survey.storage.access import check_accepting
from survey.storage.drafts import belongs_to, get_draft
from survey.storage.intake_reads import stored_or_drafted
from survey.storage.models import Draft
from survey.storage.responses import check_client_id


@dataclass(frozen=True)
class Admission:
    credential: Credential
    client_id: str
    stored: int | None  # the stored response id of a retry (or a reused id), else None
    draft: Draft | None  # the client id's draft, if it has one


def own_draft(session: Session, credential: Credential, client_id: str) -> Draft | None:
    """The client id's draft, or None; 409 when it was started with another credential."""
    draft = get_draft(session=session, client_id=client_id)
    if draft is None:
        return None
    if not belongs_to(
        draft,
        wave=credential.wave,
        community_id=credential.community.id or 0,
        invitation=credential.invitation,
    ):
        raise HTTPException(409, "this client_id was started with another credential")
    return draft


def credential_of(request: Request, session: Session, settings: Settings, body: Any) -> Credential:
    """The credential of a body with ``link``, ``invitation``, ``wave`` and ``community``."""
    return resolve_credential(
        request=request,
        session=session,
        settings=settings,
        link=body.link,
        invitation=body.invitation,
        wave_code=body.wave,
        community_code=body.community,
    )


def admit(session: Session, request: Request, settings: Settings, body: Any) -> Admission:
    """The checks above, for a body with ``link``, ``invitation``, ``wave``, ``community`` and
    ``client_id``. Whether the id is stored and has a draft is one driver-level query; the
    draft itself is read only when there is one (P5)."""
    credential = credential_of(request, session, settings, body)
    client_id = check_client_id(body.client_id)
    stored, drafted = stored_or_drafted(session=session, client_id=client_id)
    if stored is None:  # identical retries are answered from the stored row, never limited
        enforce(request, session, settings, "submit")
        check_accepting(credential.wave)
    draft = own_draft(session, credential, client_id) if drafted else None
    return Admission(credential, client_id, stored, draft)
