"""Administering survey waves (closing a wave publishes its final snapshot)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import SessionDep, SettingsDep, WaveDep
from api.officials.rankings_routes import SnapshotInfo
from api.services.waves import close_wave
from api.web.auth import AdminUser

router = APIRouter(prefix="/api/v1/waves", tags=["waves"])


class WaveClosed(BaseModel):
    wave: str
    status: str
    closes_at: datetime | None
    snapshot: SnapshotInfo


@router.post("/{wave}/close", response_model=WaveClosed, responses={409: {}})
def close(user: AdminUser, wave: WaveDep, session: SessionDep, settings: SettingsDep) -> Any:
    """Close the wave (later submissions get 409) and recompute its index with the wave's
    default weight model; both steps are audited under the admin's username."""
    closed, snapshot = close_wave(
        session=session,
        wave_code=wave.code,
        actor=user.username,
        bootstrap=settings.bootstrap_replicates,
    )
    return {
        "wave": closed.code,
        "status": closed.status,
        "closes_at": closed.closes_at,
        "snapshot": {
            "id": snapshot.id,
            "wave": closed.code,
            "model": snapshot.model_name,
            "model_version": snapshot.model_version,
            "data_hash": snapshot.data_hash,
            "computed_at": snapshot.computed_at,
        },
    }
