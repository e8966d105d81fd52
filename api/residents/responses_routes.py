"""Submitting a resident's answers over JSON (the QR form posts through the same service)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SessionDep
from survey.storage.responses import submit_response

router = APIRouter(prefix="/api/v1/responses", tags=["responses"])


class ResponseCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "wave": "2026Q2",
                    "community": "CH01-001",
                    "client_id": "0b6c1c7e-5d0b-4c47-9a43-2f3d3b1f6a10",
                    "answers": {"D1.1": 4, "D1.2": 5, "D2.5": 2, "O1": 8, "age_band": "60-69"},
                    "started_at": "2026-05-12T09:30:00+08:00",
                }
            ]
        },
    )

    wave: str = Field(min_length=1, max_length=32, description="wave code, e.g. 2026Q2")
    community: str = Field(min_length=1, max_length=32, description="community code")
    client_id: str = Field(min_length=1, max_length=64, description="UUID made by the client")
    answers: dict[str, Any] = Field(description="item code → answer")
    started_at: datetime | None = Field(default=None, description="when the form was opened")


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
