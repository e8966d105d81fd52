"""Open-text themes: the theme-model lifecycle (researchers) and a community's or street's
themes (officials, within scope)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from sqlmodel import Session, select

from api.deps import SessionDep
from api.schemas.themes import ScopeThemes, ThemeModelOut, ThemePublishRequest, ThemeRelabelRequest
from api.services import themes as service
from api.services.official_loop import staff_scope_themes
from api.web.auth import CurrentUser, ResearchUser
from api.web.permissions import ensure_community, ensure_street
from survey.errors import ConflictError, NotFoundError, SurveyError
from survey.storage.models import Community, Street

router = APIRouter(prefix="/api/v1", tags=["themes"])

NamePath = Annotated[str, Path(max_length=64, description="theme model name")]
ModelQuery = Annotated[
    str | None, Query(max_length=64, description="theme model (default: latest published)")
]
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "the request names something impossible (labels, n_themes, too few comments)"
    },
    401: {"description": "not signed in"},
    404: {"description": "unknown (or out-of-scope) wave, community, street or theme model"},
    409: {"description": "the wave is not closed, or the theme model is retired"},
}


def _call(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except NotFoundError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except ConflictError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    except SurveyError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


def _labels(raw: dict[str, Any] | None) -> dict[str, dict[str, str]] | None:
    return None if raw is None else {k: v.model_dump() for k, v in raw.items()}


@router.get("/theme-models", response_model=list[ThemeModelOut], responses=ERRORS)
def list_theme_models(session: SessionDep, user: CurrentUser) -> Any:
    return service.list_theme_models(session)


@router.get("/theme-models/{name}", response_model=ThemeModelOut, responses=ERRORS)
def get_theme_model(name: NamePath, session: SessionDep, user: CurrentUser) -> Any:
    return _call(lambda: service.record_dict(service.get_theme_model(session, name)))


@router.post("/theme-models", response_model=ThemeModelOut, status_code=201, responses=ERRORS)
def publish_theme_model(body: ThemePublishRequest, session: SessionDep, user: ResearchUser) -> Any:
    record = _call(
        lambda: service.publish_theme_model(
            session,
            name=body.name,
            wave=body.wave,
            n_themes=body.n_themes,
            labels=_labels(body.labels),
            description=body.description,
            actor=user.username,
        )
    )
    session.commit()
    return service.record_dict(record)


@router.post(
    "/theme-models/{name}/labels", response_model=ThemeModelOut, status_code=201, responses=ERRORS
)
def relabel_theme_model(
    name: NamePath, body: ThemeRelabelRequest, session: SessionDep, user: ResearchUser
) -> Any:
    record = _call(
        lambda: service.relabel_theme_model(
            session, name=name, labels=_labels(body.labels), actor=user.username
        )
    )
    session.commit()
    return service.record_dict(record)


@router.post(
    "/theme-models/{name}/{version}/retire", response_model=ThemeModelOut, responses=ERRORS
)
def retire_theme_model(
    name: NamePath,
    version: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    user: ResearchUser,
) -> Any:
    record = _call(
        lambda: service.retire_theme_model(session, name=name, version=version, actor=user.username)
    )
    session.commit()
    return service.record_dict(record)


def _street_of(session: Session, community: str) -> str:
    row = session.exec(select(Community).where(Community.code == community)).first()
    if row is None:
        raise HTTPException(status_code=404, detail=f"no community with code {community!r}")
    street = session.get(Street, row.street_id)
    return street.code if street else ""


@router.get(
    "/waves/{wave}/communities/{community}/themes", response_model=ScopeThemes, responses=ERRORS
)
def community_themes(
    wave: Annotated[str, Path(max_length=32)],
    community: Annotated[str, Path(max_length=32)],
    session: SessionDep,
    user: CurrentUser,
    model: ModelQuery = None,
) -> Any:
    ensure_community(user, community, _street_of(session, community))
    return _call(
        lambda: staff_scope_themes(
            session, wave=wave, level="community", code=community, model=model
        )
    )


@router.get("/waves/{wave}/streets/{street}/themes", response_model=ScopeThemes, responses=ERRORS)
def street_themes(
    wave: Annotated[str, Path(max_length=32)],
    street: Annotated[str, Path(max_length=32)],
    session: SessionDep,
    user: CurrentUser,
    model: ModelQuery = None,
) -> Any:
    ensure_street(user, street)
    if session.exec(select(Street).where(Street.code == street)).first() is None:
        raise HTTPException(status_code=404, detail=f"no street with code {street!r}")
    return _call(
        lambda: staff_scope_themes(session, wave=wave, level="street", code=street, model=model)
    )
