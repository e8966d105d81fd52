"""The FastAPI application: wiring only (routers, error handlers, middleware, lifespan)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.admin import access_routes, register_routes, wave_routes
from api.errors import install_error_handlers
from api.exports import routes as export_routes
from api.officials import home_routes, json_routes, page_routes, rankings_routes
from api.research import routes as research_routes
from api.research import weight_model_routes
from api.residents import form_routes, responses_routes
from api.settings import Settings, complete, get_settings
from api.web import health, signin
from api.web.csrf import CsrfCookie
from api.web.limits import BodySizeLimit
from api.web.schedule import WaveSchedule
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade

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
    app.add_middleware(WaveSchedule, bootstrap=settings.bootstrap_replicates)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        health,
        responses_routes,
        rankings_routes,
        home_routes,
        signin,
        wave_routes,
        export_routes,
        form_routes,
        access_routes,
        register_routes,
        weight_model_routes,
        research_routes,
        json_routes,
        page_routes,
    ):
        app.include_router(module.router)
    return app
