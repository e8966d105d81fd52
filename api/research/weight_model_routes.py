"""Weight models: list, read, publish (researchers and admins), retire, make a wave's default,
compare two models' rankings, and reproduce a stored snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.deps import MAX_ROW_ID, RowIdPath, SessionDep, SettingsDep, WaveDep
from api.schemas.jobs import SnapshotInfo
from api.services import model_registry as registry
from api.services.model_compare import compare_models
from api.services.reproduce import reproduce_snapshot
from api.statuses import errors
from api.web.auth import CurrentUser, ResearchUser

router = APIRouter(tags=["weight models"])

NamePath = Annotated[str, Path(max_length=64, description="weight model name")]
VersionPath = Annotated[int, Path(ge=0, le=MAX_ROW_ID, description="version number")]
ModelQuery = Annotated[str, Query(min_length=1, max_length=64)]


class VersionLine(BaseModel):
    version: int
    status: str
    author: str
    created_at: datetime | None


class WeightModelOut(BaseModel):
    name: str
    version: int
    status: str = Field(description="published | retired | builtin")
    builtin: bool
    author: str
    created_at: datetime | None
    description: str
    preset: str
    frozen_from: dict[str, Any] | None = Field(
        description="the data-driven spec the weights were resolved from, and on which wave"
    )
    definition: dict[str, Any] = Field(description="scoring.weight_model.WeightModel.to_dict()")


class WeightModelDetail(WeightModelOut):
    versions: list[VersionLine]


class PublishRequest(BaseModel):
    model: dict[str, Any] = Field(
        description="a WeightModel as JSON (WeightModel.to_dict()); its version is assigned "
        "by the server (the next one of the name)"
    )
    resolve_wave: str | None = Field(
        default=None,
        max_length=32,
        description="wave on which data-driven weights (entropy, CRITIC, PCA, derived) are "
        "resolved and frozen; required for those methods",
    )


class DefaultModelRequest(BaseModel):
    model: str = Field(min_length=1, max_length=64)


class DefaultModelOut(BaseModel):
    wave: str
    default_model: str
    snapshot: SnapshotInfo | None = Field(
        description="the snapshot computed because the wave had none for this model version"
    )


class CompareRow(BaseModel):
    code: str
    name: str
    street: str | None
    rank_a: int | None
    rank_b: int | None
    shift: int | None = Field(description="rank_b − rank_a (positive: lower under b)")
    score_a: float | None
    score_b: float | None
    score_delta: float | None


class CompareSide(BaseModel):
    model: str
    model_version: int
    model_key: str
    computed_at: datetime
    snapshot: int


class Comparison(BaseModel):
    wave: str
    a: CompareSide
    b: CompareSide
    n_compared: int = Field(description="communities ranked under both models")
    spearman: float | None
    spearman_p: float | None
    kendall: float | None = Field(description="Kendall's tau-b")
    kendall_p: float | None
    max_abs_shift: float | None
    communities: list[CompareRow]


class Reproduction(BaseModel):
    snapshot: int
    wave: str
    model: str
    model_version: int
    data_hash: str
    recomputed_data_hash: str | None
    identical: bool
    differences: list[str]


@router.get("/api/v1/weight-models", response_model=list[WeightModelOut])
def list_weight_models(
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[str | None, Query(pattern="^(published|retired|builtin)$")] = None,
) -> Any:
    """Built-in models and every published or retired version."""
    return registry.list_models(session=session, status=status)


@router.get("/api/v1/weight-models/{name}", response_model=WeightModelDetail, responses=errors(404))
def get_weight_model(name: NamePath, session: SessionDep, user: CurrentUser) -> Any:
    """The latest published version (the latest retired one if all are retired)."""
    return registry.get_model(session=session, name=name)


@router.get(
    "/api/v1/weight-models/{name}/{version}",
    response_model=WeightModelDetail,
    responses=errors(404),
)
def get_weight_model_version(
    name: NamePath, version: VersionPath, session: SessionDep, user: CurrentUser
) -> Any:
    return registry.get_model(session=session, name=name, version=version)


@router.post(
    "/api/v1/weight-models",
    response_model=WeightModelOut,
    status_code=201,
    responses=errors(404, 409, 422),  # 404: resolve_wave names no wave
)
def publish_weight_model(body: PublishRequest, session: SessionDep, user: ResearchUser) -> Any:
    """Validate and publish a model as the next version of its name (422 says what is wrong)."""
    record = registry.publish_model(
        session=session,
        definition=body.model,
        author=user.username,
        resolve_wave=body.resolve_wave,
    )
    return registry.record_dict(record)


@router.put("/api/v1/weight-models/{name}/{version}", status_code=409, responses=errors(404, 409))
def change_weight_model(
    name: NamePath, version: VersionPath, session: SessionDep, user: ResearchUser
) -> None:
    """Always refused: a published version is immutable (publish a new version instead)."""
    registry.refuse_change(session=session, name=name, version=version)


@router.post(
    "/api/v1/weight-models/{name}/{version}/retire",
    response_model=WeightModelOut,
    responses=errors(404, 409),
)
def retire_weight_model(
    name: NamePath, version: VersionPath, session: SessionDep, user: ResearchUser
) -> Any:
    """No longer used for new scores; still readable, so old snapshots stay reproducible."""
    record = registry.retire_model(session=session, name=name, version=version, actor=user.username)
    return registry.record_dict(record)


@router.put("/api/v1/waves/{wave}/default-model", response_model=DefaultModelOut)
def set_wave_default_model(
    wave: WaveDep,
    body: DefaultModelRequest,
    session: SessionDep,
    settings: SettingsDep,
    user: ResearchUser,
) -> Any:
    """Officials' pages of the wave then show this model (scored now if it has no snapshot)."""
    updated, snapshot = registry.set_default_model(
        session=session,
        wave_code=wave.code,
        name=body.model,
        actor=user.username,
        bootstrap=settings.bootstrap_replicates,
    )
    info = None
    if snapshot is not None:
        info = {
            "id": snapshot.id,
            "wave": updated.code,
            "model": snapshot.model_name,
            "model_version": snapshot.model_version,
            "data_hash": snapshot.data_hash,
            "computed_at": snapshot.computed_at,
        }
    return {"wave": updated.code, "default_model": updated.default_model, "snapshot": info}


@router.get("/api/v1/waves/{wave}/compare", response_model=Comparison)
def compare(
    wave: WaveDep, session: SessionDep, user: ResearchUser, a: ModelQuery, b: ModelQuery
) -> Any:
    """Rank shifts and Spearman/Kendall correlations between models ``a`` and ``b``."""
    return compare_models(session=session, wave=wave, a=a, b=b)


@router.post(
    "/api/v1/snapshots/{snapshot_id}/reproduce",
    response_model=Reproduction,
    responses=errors(404, 409),
)
def reproduce(snapshot_id: RowIdPath, session: SessionDep, user: ResearchUser) -> Any:
    """Recompute a stored snapshot from its provenance; ``identical`` is a bitwise check."""
    return reproduce_snapshot(session=session, snapshot_id=snapshot_id)
