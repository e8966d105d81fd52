"""Submitting a resident's answers over JSON (apps, mini-programs, enumerators' tablets).

Every submission carries a credential that fixes the community (api/residents/credentials.py);
``POST /api/v1/responses/start`` records the server's start time for a client id, so the
duration the quality rules see is measured by the server (docs/residents.md). Without a prior
start the duration is unknown: the speeder rule cannot judge it, and it is stored as such.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session

from api.deps import SessionDep, SettingsDep
from api.residents.admission import admit, credential_of, own_draft
from api.residents.example import EXAMPLE_LINK, example_submission, plausible_start
from api.residents.fast_submit import submit_by_link
from api.settings import Settings
from api.web.auth import bearer_token
from api.web.ratelimit import client_address, enforce
from survey.storage.access import InvitationUsedError, check_accepting
from survey.storage.drafts import start_draft, submit_entry
from survey.storage.responses import Receipt, check_client_id
from survey.storage.sources import source_hash

router = APIRouter(prefix="/api/v1/responses", tags=["responses"])


class Credentials(BaseModel):
    link: str | None = Field(
        default=None,
        max_length=500,
        description="the token of the community's open link /s/{token} (open waves)",
    )
    invitation: str | None = Field(
        default=None, max_length=64, description="an invitation code, e.g. ABCD-EFGH-JKLM-NPQR"
    )
    wave: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="wave code; required with a staff token, else checked against the credential",
    )
    community: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="community code; required with a staff token, else checked (422 if it "
        "disagrees with the credential)",
    )
    client_id: str = Field(min_length=1, max_length=64, description="UUID made by the client")


class ResponseStart(Credentials):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"link": EXAMPLE_LINK, "client_id": "0b6c1c7e-5d0b-4c47-9a43-2f3d3b1f6a10"}
            ]
        },
    )


class ResponseCreate(Credentials):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [example_submission()]},
    )

    answers: dict[str, Any] = Field(description="item code → answer")
    started_at: datetime | None = Field(
        default=None,
        description="when the client says the form was opened: stored as client_started_at, "
        "ignored by the quality rules (call /start for a server-measured duration)",
    )

    @field_validator("started_at")
    @classmethod
    def _plausible_start(cls, value: datetime | None) -> datetime | None:
        return plausible_start(value)


class StartReceipt(BaseModel):
    client_id: str
    started_at: datetime = Field(description="the server's start time of this client id")
    wave: str
    community: str


class ResponseReceipt(BaseModel):
    id: int
    client_id: str
    status: str = Field(description="'created', or 'duplicate' for an identical retry")
    submitted_at: datetime
    duration_known: bool = Field(description="false when no /start preceded the submission")


CREDENTIAL_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no credential, or a tampered link / unknown code / bad token"},
    403: {
        "description": "a link to an invitation-only wave, or a code for an open-link wave; "
        "a staff role or scope that may not enter answers"
    },
    409: {"description": "closed wave, used invitation code, or client_id reused differently"},
    422: {"description": "answers that do not fit, or a wave/community the credential contradicts"},
    429: {"description": "too many requests from this address (Retry-After says when to retry)"},
    404: {"description": "unknown wave or community (staff entry)"},
}


@router.post("/start", response_model=StartReceipt, status_code=201, responses=CREDENTIAL_ERRORS)
def start_response(
    body: ResponseStart, request: Request, session: SessionDep, settings: SettingsDep
) -> Any:
    """Record the server's start time for ``client_id`` (idempotent: a repeat returns it)."""
    enforce(request, session, settings, "submit")
    credential = credential_of(request, session, settings, body)
    client_id = check_client_id(body.client_id)
    check_accepting(credential.wave)
    if credential.invitation is not None and credential.invitation.used_at is not None:
        raise InvitationUsedError("this invitation code was already used for a response")
    draft = own_draft(session, credential, client_id)
    if draft is None:
        draft = start_draft(
            session=session,
            wave=credential.wave,
            community_id=credential.community.id or 0,
            invitation=credential.invitation,
            client_id=client_id,
        )
    return StartReceipt(
        client_id=client_id,
        started_at=draft.started_at,
        wave=credential.wave.code,
        community=credential.community.code,
    )


@router.post(
    "",
    status_code=201,
    response_model=ResponseReceipt,
    responses={
        200: {"model": ResponseReceipt, "description": "identical retry: the original receipt"},
        **CREDENTIAL_ERRORS,
    },
)
async def create_response(body: ResponseCreate, request: Request, settings: SettingsDep) -> Any:
    """Store a resident's answers (201), or answer an identical retry with its receipt (200).

    A submission by open link, the QR code's way and nearly all of them, takes the fast
    path (api/residents/fast_submit.py); any other, and any the fast path hands back, is
    handled by :func:`create_in_session` in the thread pool."""
    if body.link and not body.invitation and bearer_token(request) is None:
        done = await submit_by_link(body, request, settings)
        if done is not None:
            receipt, duration_known = done
            return receipt_response(receipt, duration_known=duration_known)
    return await run_in_threadpool(create_in_session, body, request, settings)


def create_in_session(body: ResponseCreate, request: Request, settings: Settings) -> Any:
    """The whole submission in one session of its own: every credential, retries, 409s."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        return _create_response(body, request, session, settings)


def _create_response(
    body: ResponseCreate, request: Request, session: Session, settings: Settings
) -> Any:
    admission = admit(session, request, settings, body)
    credential, client_id, draft = admission.credential, admission.client_id, admission.draft
    receipt = submit_entry(
        session=session,
        wave=credential.wave,
        community=credential.community,
        client_id=client_id,
        answers=body.answers,
        started_at=draft.started_at if draft is not None else None,
        channel=credential.channel,
        invitation_id=credential.invitation.id if credential.invitation else None,
        enumerator_id=credential.enumerator.id if credential.enumerator else None,
        client_started_at=body.started_at,
        source_hash=source_hash(
            secret=settings.secret_key,
            wave_code=credential.wave.code,
            address=client_address(request, settings),
        ),
        # submit_entry is told, so that it does not look again (P5: one query less)
        stored=admission.stored is not None,
    )
    return receipt_response(receipt, duration_known=draft is not None)


def receipt_response(receipt: Receipt, *, duration_known: bool) -> JSONResponse:
    """The receipt, rendered here (201, or 200 for a retry): FastAPI's own check of a returned
    model against ``response_model`` re-validated and re-encoded it (~0.1 ms under load, P5)."""
    payload = ResponseReceipt(
        id=receipt.response_id,
        client_id=receipt.client_id,
        status="created" if receipt.created else "duplicate",
        submitted_at=receipt.submitted_at,
        duration_known=duration_known,
    )
    return JSONResponse(
        status_code=201 if receipt.created else 200, content=payload.model_dump(mode="json")
    )
