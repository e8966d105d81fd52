"""Admin page for possible ballot stuffing: flagged batches with their evidence, quarantine or
clear (POST with the CSRF token; audited). Admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import RowIdPath, SessionDep, WaveDep
from api.residents.views import SECURITY_HEADERS
from api.services.stuffing import decide, scan_wave
from api.web.auth import AdminUser
from api.web.csrf import CsrfChecked
from api.web.templating import templates

router = APIRouter(prefix="/admin/waves/{wave}", tags=["survey admin"], include_in_schema=False)


@router.get("/batches", response_class=HTMLResponse)
def batches_page(
    request: Request, wave: WaveDep, session: SessionDep, _: AdminUser
) -> HTMLResponse:
    batches = scan_wave(session=session, wave=wave)
    return templates.TemplateResponse(
        request,
        "survey/admin_batches.html",
        {"wave": wave, "batches": batches},
        headers=SECURITY_HEADERS,
    )


@router.post("/batches/{batch_id}")
def decide_batch(
    wave: WaveDep,
    batch_id: RowIdPath,
    session: SessionDep,
    user: AdminUser,
    _csrf: CsrfChecked,
    status: Annotated[str, Form(pattern="^(quarantined|cleared)$")],
) -> RedirectResponse:
    decide(session=session, batch_id=batch_id, status=status, actor=user.username)
    return RedirectResponse(f"/admin/waves/{wave.code}/batches", status_code=303)
