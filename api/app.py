"""The FastAPI application: wiring only (routers, error handlers, middleware, lifespan)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.csrf import CsrfCookie
from api.errors import install_error_handlers
from api.limits import BodySizeLimit
from api.routers import (
    auth,
    exports,
    health,
    official_pages,
    officials_api,
    pages,
    rankings,
    research,
    responses,
    survey_admin,
    survey_form,
    waves,
    weight_models,
)
from api.settings import Settings, complete, get_settings
from survey.db import make_engine
from survey.migrate import upgrade

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = complete(settings) if settings is not None else get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        upgrade(engine)
        app.state.engine = engine
        yield
        engine.dispose()

    app = FastAPI(
        title="meihao 美好社区 index engine",
        version="0.1.0",
        description="Residents' answers → weighted satisfaction indices per community.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(CsrfCookie)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        health,
        responses,
        rankings,
        pages,
        auth,
        waves,
        exports,
        survey_form,
        survey_admin,
        weight_models,
        research,
        officials_api,
        official_pages,
    ):
        app.include_router(module.router)
    return app
