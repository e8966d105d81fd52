"""Submitting a resident's answers over JSON (the QR form posts through the same service)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.deps import SessionDep
from api.residents.example import example_submission, plausible_start
from survey.storage.responses import submit_response

router = APIRouter(prefix="/api/v1/responses", tags=["responses"])


class ResponseCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [example_submission()]},
    )

    wave: str = Field(min_length=1, max_length=32, description="wave code, e.g. 2026Q2")
    community: str = Field(min_length=1, max_length=32, description="community code")
    client_id: str = Field(min_length=1, max_length=64, description="UUID made by the client")
    answers: dict[str, Any] = Field(description="item code → answer")
    started_at: datetime | None = Field(default=None, description="when the form was opened")

    @field_validator("started_at")
    @classmethod
    def _plausible_start(cls, value: datetime | None) -> datetime | None:
        return plausible_start(value)


class ResponseReceipt(BaseModel):
    id: int
    client_id: str
    status: str = Field(description="'created', or 'duplicate' for an identical retry")
    submitted_at: datetime


@router.post(
    "",
    status_code=201,
    response_model=ResponseReceipt,
    responses={
        200: {"model": ResponseReceipt, "description": "identical retry: the original receipt"},
        404: {"description": "unknown wave or community"},
        409: {"description": "closed wave, or client_id reused with different answers"},
        422: {"description": "answers that do not fit the questionnaire, naming each field"},
    },
)
def create_response(body: ResponseCreate, session: SessionDep) -> Any:
    receipt = submit_response(
        session=session,
        wave_code=body.wave,
        community_code=body.community,
        client_id=body.client_id,
        answers=body.answers,
        started_at=body.started_at,
        channel="api",
    )
    payload = ResponseReceipt(
        id=receipt.response_id,
        client_id=receipt.client_id,
        status="created" if receipt.created else "duplicate",
        submitted_at=receipt.submitted_at,
    )
    if receipt.created:
        return payload
    return JSONResponse(status_code=200, content=payload.model_dump(mode="json"))
