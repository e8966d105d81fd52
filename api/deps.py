"""FastAPI dependencies: the database session and look-ups that 404 once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from api.settings import Settings
from api.statuses import raises
from survey.storage.models import Community, Wave
from survey.storage.registry import read_community, read_wave


# The dependencies that do no I/O are ``async def``: FastAPI runs every plain ``def``
# dependency in the thread pool, and under load those hops cost more than the work itself
# (a signed-in request paid ~6 of them; PERFORMANCE.md P7).
async def get_session(request: Request) -> AsyncIterator[Session]:
    # Creating a session does no I/O (it connects on first use); closing one that holds a
    # connection does (a rollback, a round trip on PostgreSQL), so that runs in the pool.
    session = Session(request.app.state.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


async def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# Row ids and version numbers in paths stop where the database's integers do (32 bits on
# PostgreSQL): a larger number is a 422, not an overflow deep in the driver.
MAX_ROW_ID = 2**31 - 1
RowIdPath = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
RowId = Annotated[int, Query(ge=1, le=MAX_ROW_ID)]  # the same, as a query parameter

SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(app_settings)]


# Read fresh on every request (a wave's status can change at any time), with one prepared
# statement each; the instances are detached: routes read them and never modify them.
@raises(404)
def wave_from_path(wave: str, session: SessionDep) -> Wave:
    return read_wave(session=session, code=wave)


@raises(404)
def community_from_path(community: str, session: SessionDep) -> Community:
    return read_community(session=session, code=community)


WaveDep = Annotated[Wave, Depends(wave_from_path)]
CommunityDep = Annotated[Community, Depends(community_from_path)]
