"""How a scoring job is going (researchers and admins, who are the ones who start them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import RowIdPath, SessionDep
from api.schemas.jobs import JobInfo, job_info
from api.services.jobs import get_job
from api.statuses import errors
from api.web.auth import ResearchUser
from survey.storage.models import ScoreSnapshot, Wave

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobInfo, responses=errors(404))
def read_job(job_id: RowIdPath, user: ResearchUser, session: SessionDep) -> Any:
    job = get_job(session=session, job_id=job_id)
    wave = session.get(Wave, job.wave_id)
    snapshot = session.get(ScoreSnapshot, job.snapshot_id) if job.snapshot_id else None
    return job_info(job, wave.code if wave else "", snapshot)
