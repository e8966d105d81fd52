"""HTML pages for officials and the public landing page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import select

from api.deps import SessionDep
from api.web.templating import templates
from survey.storage.models import Wave
from survey.storage.registry import response_counts

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep) -> HTMLResponse:
    counts = response_counts(session=session)
    waves = [
        {"code": w.code, "status": w.status, "responses": counts.get(w.id or 0, 0)}
        for w in session.exec(select(Wave).order_by(Wave.code.desc())).all()  # type: ignore[attr-defined]
    ]
    return templates.TemplateResponse(request, "home.html", {"waves": waves})
