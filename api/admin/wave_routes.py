"""Administering survey waves (closing a wave queues its final snapshot)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Response
from pydantic import BaseModel

from api.deps import SessionDep, SettingsDep, WaveDep
from api.schemas.jobs import JobInfo, job_info
from api.services.jobs import schedule
from api.services.waves import close_wave
from api.web.auth import AdminUser

router = APIRouter(prefix="/api/v1/waves", tags=["waves"])


class WaveClosed(BaseModel):
    wave: str
    status: str
    closes_at: datetime | None
    job: JobInfo


@router.post("/{wave}/close", response_model=WaveClosed, status_code=202, responses={409: {}})
def close(
    user: AdminUser,
    wave: WaveDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    tasks: BackgroundTasks,
) -> Any:
    """Close the wave (later submissions get 409) and queue the recomputation of its index
    with the wave's default weight model; both are audited under the admin's username. The
    final snapshot is served once the job's status is ``done``."""
    closed, job = close_wave(
        session=session,
        wave_code=wave.code,
        actor=user.username,
        bootstrap=settings.bootstrap_replicates,
    )
    schedule(
        job,
        session=session,
        in_process=settings.runs_jobs_in_process,
        tasks=tasks,
        lease_s=settings.job_lease_seconds,
    )
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return {
        "wave": closed.code,
        "status": closed.status,
        "closes_at": closed.closes_at,
        "job": job_info(job, closed.code),
    }
