"""FastAPI dependencies: the database session and look-ups that 404 once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.settings import Settings
from survey.models import Community, Wave
from survey.registry import get_community, get_wave


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(app_settings)]


def wave_from_path(wave: str, session: SessionDep) -> Wave:
    return get_wave(session=session, code=wave)


def community_from_path(community: str, session: SessionDep) -> Community:
    return get_community(session=session, code=community)


WaveDep = Annotated[Wave, Depends(wave_from_path)]
CommunityDep = Annotated[Community, Depends(community_from_path)]
