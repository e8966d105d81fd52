"""The FastAPI application: wiring only (routers, error handlers, middleware, lifespan)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from api.admin import (
    access_routes,
    batch_routes,
    job_routes,
    register_routes,
    staff_routes,
    wave_routes,
)
from api.admin.schedule_middleware import WaveSchedule
from api.errors import SafeJSONResponse, install_error_handlers
from api.exports import routes as export_routes
from api.officials import (
    action_pages,
    action_routes,
    effects_routes,
    home_routes,
    json_routes,
    page_routes,
    rankings_routes,
)
from api.research import routes as research_routes
from api.research import theme_model_routes, weight_model_routes
from api.residents import form_routes, public_routes, responses_routes
from api.settings import Settings, complete, get_settings
from api.statuses import document_statuses
from api.web import health, signin
from api.web.access_log import AccessLog
from api.web.auth import current_user
from api.web.csrf import CsrfCookie
from api.web.limits import BodySizeLimit
from api.web.origin_guard import OriginGuard
from api.web.public_assets import mount_api_docs
from api.web.security_headers import SecurityHeaders
from api.web.text_guard import TextGuard
from survey.storage.credential_broadcast import start_listener
from survey.storage.credential_cache import CREDENTIALS
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
        CREDENTIALS.configure(ttl=settings.auth_cache_seconds)
        listener = start_listener(engine)  # PostgreSQL: other processes' revocations, at once
        yield
        if listener is not None:
            listener.stop()
        engine.dispose()

    app = FastAPI(
        title="meihao 美好社区 index engine",
        version="0.1.0",
        description="Residents' answers → weighted satisfaction indices per community.",
        lifespan=lifespan,
        docs_url=None,  # served offline by api.web.public_assets
        redoc_url=None,
        default_response_class=SafeJSONResponse,
    )
    app.state.settings = settings
    install_error_handlers(app)
    # Outermost last: the log sees every status, headers go on every reply, bodies are bounded
    # and read once, then checked for text that is not Unicode, then for cross-site origins.
    app.add_middleware(CsrfCookie)
    app.add_middleware(OriginGuard)
    app.add_middleware(TextGuard)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog, addresses=settings.access_log_addresses)
    app.add_middleware(WaveSchedule, settings=settings)
    mount_api_docs(app)  # before /static, whose mount would shadow /static/apidocs
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    staff_only = (
        rankings_routes,
        wave_routes,
        job_routes,
        batch_routes,
        export_routes,
        access_routes,
        staff_routes,
        weight_model_routes,
        theme_model_routes,
        research_routes,
        json_routes,
        effects_routes,
        page_routes,
        action_routes,
        action_pages,
    )
    for module in (
        health,
        responses_routes,
        rankings_routes,
        home_routes,
        signin,
        wave_routes,
        job_routes,
        export_routes,
        form_routes,
        access_routes,
        batch_routes,
        register_routes,
        staff_routes,
        weight_model_routes,
        theme_model_routes,
        research_routes,
        json_routes,
        effects_routes,
        page_routes,
        action_routes,
        action_pages,
        public_routes,
    ):
        # Sign-in is checked before anything else a staff route depends on, so an anonymous
        # caller gets the same reply for a wave or community that exists and one that does not.
        first = [Depends(current_user)] if module in staff_only else []
        app.include_router(module.router, dependencies=first)
    document_statuses(app)  # after every router: what dependencies and middleware answer
    return app
