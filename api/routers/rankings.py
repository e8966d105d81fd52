"""Ranked results of a wave, read from the stored snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import SessionDep, SettingsDep, WaveDep
from api.services.rankings import ranking_rows
from api.services.snapshots import compute_snapshot, latest_snapshot

router = APIRouter(prefix="/api/v1/waves", tags=["rankings"])


class RankingRow(BaseModel):
    community: str
    name: str
    street: str | None
    street_name: str | None
    housing_type: str | None
    n: int | None
    rank: int | None = Field(description="rank with ties ('min'); null when suppressed")
    rank_low: float | None
    rank_high: float | None
    score: float | None = Field(description="overall index, 0–100")
    ci_low: float | None
    ci_high: float | None
    grade: str | None
    suppressed: bool
    suppression_reason: str | None
    dimensions: dict[str, float | None]


class Rankings(BaseModel):
    wave: str
    model: str
    model_version: int
    computed_at: datetime
    preset: str | None
    communities: list[RankingRow]


class SnapshotInfo(BaseModel):
    id: int
    wave: str
    model: str
    model_version: int
    data_hash: str
    computed_at: datetime


@router.get("/{wave}/rankings", response_model=Rankings)
def get_rankings(
    wave: WaveDep,
    session: SessionDep,
    model: str | None = Query(default=None, description="weight model (default: the wave's)"),
    street: str | None = Query(default=None, description="only this street's communities"),
    housing_type: str | None = Query(default=None),
) -> Any:
    snapshot = latest_snapshot(session=session, wave=wave, model_name=model)
    results = snapshot.results
    return {
        "wave": wave.code,
        "model": snapshot.model_name,
        "model_version": snapshot.model_version,
        "computed_at": snapshot.computed_at,
        "preset": results.get("provenance", {}).get("preset"),
        "communities": ranking_rows(results, street=street, housing_type=housing_type),
    }


@router.post("/{wave}/snapshots", response_model=SnapshotInfo, status_code=201)
def create_snapshot(
    wave: WaveDep,
    session: SessionDep,
    settings: SettingsDep,
    model: str | None = Query(default=None),
) -> Any:
    """Recompute the wave's index with a weight model and store it (an explicit action)."""
    snapshot = compute_snapshot(session=session, wave_code=wave.code, model_name=model,
                                bootstrap=settings.bootstrap_replicates, actor="api")
    return {"id": snapshot.id, "wave": wave.code, "model": snapshot.model_name,
            "model_version": snapshot.model_version, "data_hash": snapshot.data_hash,
            "computed_at": snapshot.computed_at}
