"""What a researcher's client needs beside the exports: the list of waves, and a wave's
reference data (communities, margins, questionnaire) that turns an export into the same
``ResearchData`` the database gives (``api.research.client.MeihaoClient.response_data``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlmodel import select

from api.deps import SessionDep, WaveDep
from api.services.snapshot_store import ordered_waves
from api.web.auth import CurrentUser, ResearchUser
from survey.research import wave_reference
from survey.storage.models import QuestionnaireRecord
from survey.storage.registry import response_counts

router = APIRouter(prefix="/api/v1/waves", tags=["research"])


class WaveOut(BaseModel):
    code: str
    status: str
    opens_at: datetime | None
    closes_at: datetime | None
    default_model: str
    questionnaire: str = Field(description="slug@version")
    responses: int


class ReferenceCommunity(BaseModel):
    code: str
    name: str
    street: str
    street_name: str
    housing_type: str
    margins: list[float] = Field(description="population per weighting cell")


class WaveReference(BaseModel):
    wave: str
    questionnaire: dict[str, Any] = Field(description="the full questionnaire definition")
    stratum_labels: list[str] = Field(description="weighting cells, 'age band|gender'")
    communities: list[ReferenceCommunity]


@router.get("", response_model=list[WaveOut])
def list_waves(session: SessionDep, user: CurrentUser) -> Any:
    """Every wave in survey order, with its default weight model and number of responses."""
    counts = response_counts(session=session)
    questionnaires = {
        r.id: f"{r.slug}@{r.version}" for r in session.exec(select(QuestionnaireRecord)).all()
    }
    return [
        {
            "code": w.code,
            "status": w.status,
            "opens_at": w.opens_at,
            "closes_at": w.closes_at,
            "default_model": w.default_model,
            "questionnaire": questionnaires.get(w.questionnaire_id, ""),
            "responses": counts.get(w.id or 0, 0),
        }
        for w in ordered_waves(session=session)
    ]


@router.get("/{wave}/reference", response_model=WaveReference)
def get_reference(wave: WaveDep, session: SessionDep, user: ResearchUser) -> Any:
    """Communities (names, streets, population margins) and the questionnaire of the wave."""
    return wave_reference(session=session, wave_code=wave.code)
