"""What the API says about a scoring job (``api.services.jobs``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from survey.storage.models import ScoreJob, ScoreSnapshot


class SnapshotInfo(BaseModel):
    id: int
    wave: str
    model: str
    model_version: int
    data_hash: str
    computed_at: datetime


class JobInfo(BaseModel):
    id: int
    url: str = Field(description="where to ask how the job is going")
    kind: str = Field(
        description="snapshot | close (a closed wave's final snapshot) | scan (ballot stuffing)"
    )
    wave: str
    model: str | None = Field(description="weight model; null means the wave's default")
    status: str = Field(description="queued | running | done | dead")
    stage: str
    attempts: int
    max_attempts: int
    bootstrap: int
    progress_done: int = Field(description="bootstrap replicates finished so far")
    progress_total: int = Field(description="replicates in all (the job's B once it runs)")
    snapshot_id: int | None = Field(description="the stored snapshot, once done")
    snapshot: SnapshotInfo | None = None
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def snapshot_info(snapshot: ScoreSnapshot, wave_code: str) -> dict[str, Any]:
    return {
        "id": snapshot.id,
        "wave": wave_code,
        "model": snapshot.model_name,
        "model_version": snapshot.model_version,
        "data_hash": snapshot.data_hash,
        "computed_at": snapshot.computed_at,
    }


def job_info(
    job: ScoreJob, wave_code: str, snapshot: ScoreSnapshot | None = None
) -> dict[str, Any]:
    return {
        "id": job.id,
        "url": f"/api/v1/jobs/{job.id}",
        "kind": job.kind,
        "wave": wave_code,
        "model": job.model_name,
        "status": job.status,
        "stage": job.stage,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "bootstrap": job.bootstrap,
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
        "snapshot_id": job.snapshot_id,
        "snapshot": snapshot_info(snapshot, wave_code) if snapshot is not None else None,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
