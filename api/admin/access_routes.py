"""Admin pages for a wave's resident access: QR posters (open links) and invitation slips.

Only admins (``require_role("admin")`` from ``api/auth.py``). Making codes changes state, so it
is a POST with the CSRF token and leaves an audit event; the codes are shown once, on the slips.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from api.admin.posters import posters_for_wave, render_posters, render_slips, slips_for
from api.deps import CommunityDep, SessionDep, SettingsDep, WaveDep
from api.residents.views import SECURITY_HEADERS
from api.web.auth import AdminUser
from api.web.csrf import CsrfChecked
from api.web.templating import templates
from survey.storage.access import MAX_BATCH, create_invitations, invitation_counts
from survey.storage.models import AuditEvent

router = APIRouter(prefix="/admin/waves/{wave}", tags=["survey admin"], include_in_schema=False)


def _base_url(request: Request) -> str:
    # The configured public address wins: behind a proxy request.base_url may be internal.
    public = request.app.state.settings.public_base_url
    return str(public or request.base_url).rstrip("/")


@router.get("/posters", response_class=HTMLResponse)
def wave_posters(
    request: Request, wave: WaveDep, session: SessionDep, settings: SettingsDep, _: AdminUser
) -> HTMLResponse:
    """Every community's poster for this wave, one per printed page."""
    posters = posters_for_wave(
        session=session, wave=wave, base_url=_base_url(request), secret=settings.secret_key
    )
    return HTMLResponse(render_posters(posters, standalone=False), headers=SECURITY_HEADERS)


@router.get("/posters/{community}", response_class=HTMLResponse)
def community_poster(
    request: Request,
    wave: WaveDep,
    community: CommunityDep,
    session: SessionDep,
    settings: SettingsDep,
    _: AdminUser,
) -> HTMLResponse:
    posters = posters_for_wave(
        session=session,
        wave=wave,
        base_url=_base_url(request),
        secret=settings.secret_key,
        communities=[community],
    )
    return HTMLResponse(render_posters(posters, standalone=False), headers=SECURITY_HEADERS)


@router.get("/communities/{community}/invitations", response_class=HTMLResponse)
def invitations_page(
    request: Request, wave: WaveDep, community: CommunityDep, session: SessionDep, _: AdminUser
) -> HTMLResponse:
    made, used = invitation_counts(session=session, wave=wave, community=community)
    return templates.TemplateResponse(
        request,
        "survey/admin_invitations.html",
        {
            "wave": wave,
            "community": community,
            "made": made,
            "used": used,
            "max_batch": MAX_BATCH,
        },
        headers=SECURITY_HEADERS,
    )


@router.post("/communities/{community}/invitations", response_class=HTMLResponse)
def make_invitations(
    request: Request,
    wave: WaveDep,
    community: CommunityDep,
    session: SessionDep,
    user: AdminUser,
    _csrf: CsrfChecked,
    count: Annotated[int, Form(ge=1, le=MAX_BATCH)],
    batch: Annotated[str, Form(max_length=32)] = "",
) -> HTMLResponse:
    """Make ``count`` codes and show their slips (the only time the codes are visible)."""
    codes = create_invitations(
        session=session, wave=wave, community=community, count=count, batch=batch
    )
    session.add(
        AuditEvent(
            actor=user.username,
            action="invitations.create",
            target=f"{wave.code}/{community.code}",
            detail={"count": count, "batch": batch},
        )
    )
    session.commit()
    slips = slips_for(codes=codes, base_url=_base_url(request))
    html = render_slips(
        slips=slips, community=community, wave=wave, base_url=_base_url(request), standalone=False
    )
    return HTMLResponse(html, headers=SECURITY_HEADERS)
