"""The public landing page, and ``/start``: where a signed-in staff user's work begins."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session, select

from api.deps import SessionDep
from api.services.snapshot_store import find_snapshot_or_none, ordered_waves
from api.web.auth import CurrentUser, OptionalUser
from api.web.permissions import Scope
from api.web.templating import templates
from survey.storage.models import User, Wave
from survey.storage.registry import response_counts

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, user: OptionalUser) -> HTMLResponse:
    counts = response_counts(session=session)
    waves = [
        {"code": w.code, "status": w.status, "responses": counts.get(w.id or 0, 0)}
        for w in session.exec(select(Wave).order_by(Wave.code.desc())).all()  # type: ignore[attr-defined]
    ]
    return templates.TemplateResponse(
        request, "home.html", {"waves": waves, "signed_in": user is not None}
    )


def latest_scored_wave(session: Session) -> str | None:
    """The newest wave (survey order) with a snapshot of its own default model."""
    for wave in reversed(ordered_waves(session=session)):
        if find_snapshot_or_none(session=session, wave=wave, model_name=None) is not None:
            return wave.code
    return None


def landing_path(session: Session, user: User) -> str:
    """A district reader's dashboard, a street official's street page, a community official's
    scorecard, each of the latest scored wave; the home page while nothing is scored."""
    wave = latest_scored_wave(session)
    if wave is None:
        return "/"
    scope = Scope.of(user)
    if scope.level == "street":
        return f"/waves/{wave}/streets/{scope.code}"
    if scope.level == "community":
        return f"/waves/{wave}/communities/{scope.code}"
    return f"/waves/{wave}"


@router.get("/start")
def start(session: SessionDep, user: CurrentUser) -> RedirectResponse:
    # 302, not 303: the sign-in redirect of an anonymous caller is the 303.
    return RedirectResponse(landing_path(session, user), status_code=302)
