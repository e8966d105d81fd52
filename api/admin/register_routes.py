"""Admin pages for running a district: the register upload, questionnaire versions (list,
preview as residents see it, diff, publish) and waves (create, open, close, reopen).

Admins only; every change is a POST with the CSRF token, goes through the same services as the
``meihao district|questionnaire|wave`` commands and is audited under the admin's username.
Refusals (a broken file, a draft questionnaire, a later wave open) re-render the page with the
reason and a 4xx status; nothing is changed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.deps import RowId, RowIdPath, SessionDep, SettingsDep
from api.residents.views import SECURITY_HEADERS, item_views, page
from api.services.jobs import latest_jobs, schedule
from api.services.notice import notice_text
from api.services.waves import close_wave
from api.web.auth import AdminUser
from api.web.csrf import CsrfChecked
from api.web.i18n import request_lang
from api.web.templating import templates
from survey.district_register import import_district_file, register_cells, register_entries
from survey.errors import NotFoundError, SurveyError
from survey.formats.district_file import template_bytes
from survey.questionnaire import paging
from survey.questionnaire_versions import diff, get_version, list_versions, parse_spec, publish
from survey.storage.models import QuestionnaireRecord
from survey.storage.registry import list_waves, questionnaire_of, response_counts
from survey.storage.waves import (
    create_wave,
    effective_status,
    open_wave,
    parse_moment,
    reopen_wave,
    window_text,
)

DEFAULT_MODEL = "equal"  # a new wave's weight model unless the form names one

router = APIRouter(prefix="/admin", tags=["district admin"], include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(
        request, f"admin/{name}", context, status_code=status, headers=SECURITY_HEADERS
    )


# -- the district register ------------------------------------------------------------------


@router.get("/district", response_class=HTMLResponse)
def district_page(request: Request, session: SessionDep, _: AdminUser) -> Response:
    entries = register_entries(session=session, include_retired=True)
    return _render(request, "district.html", {"entries": entries, "report": None})


@router.get("/district/template.xlsx")
def district_template(session: SessionDep, _: AdminUser) -> Response:
    data = template_bytes(register_cells(session=session))
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="district-template.xlsx"'},
    )


@router.post("/district", response_class=HTMLResponse)
async def district_upload(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    _csrf: CsrfChecked,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    name = Path(file.filename or "district.xlsx").name
    data = await file.read()
    # The import reads and writes the database: off the event loop, in the thread pool.
    return await run_in_threadpool(
        _import_upload, request, session, user.username, name, data, dry_run
    )


def _import_upload(
    request: Request, session: Session, actor: str, name: str, data: bytes, dry_run: bool
) -> Response:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            report = import_district_file(session=session, path=path, actor=actor, dry_run=dry_run)
        except SurveyError as exc:
            session.rollback()
            return _render(
                request, "district.html", {"entries": [], "report": None, "error": str(exc)}, 400
            )
    if report.ok:
        session.commit()
    else:
        session.rollback()
    entries = register_entries(session=session, include_retired=True)
    return _render(
        request, "district.html", {"entries": entries, "report": report}, 200 if report.ok else 422
    )


# -- questionnaire versions -----------------------------------------------------------------


@router.get("/questionnaires", response_class=HTMLResponse)
def questionnaires_page(request: Request, session: SessionDep, _: AdminUser) -> Response:
    rows = [(r, questionnaire_of(r)) for r in list_versions(session=session)]
    return _render(request, "questionnaires.html", {"rows": rows, "error": None})


@router.get("/questionnaires/{slug}/{version}/preview", response_class=HTMLResponse)
def questionnaire_preview(
    request: Request,
    slug: str,
    version: RowIdPath,
    session: SessionDep,
    settings: SettingsDep,
    _: AdminUser,
) -> Response:
    """Every page of the version as residents see it (``?lang=en`` for English), unanswered."""
    q = questionnaire_of(get_version(session=session, slug=slug, version=version))
    lang = request_lang(request)
    pages = []
    for index, section in enumerate(paging.page_sections(q)):
        items = [q.item(code) for code in paging.page_codes(q, index)]
        pages.append(
            {
                "title": section.title.get(lang),
                "description": section.description.get(lang) if section.description else "",
                "views": item_views(q, items, {}, [], lang),
            }
        )
    context = {
        "q": q,
        "title": q.title.get(lang),
        "notice_text": notice_text(q, settings, lang),
        "pages": pages,
        "slug": slug,
        "version": version,
    }
    return page(request, "admin/preview.html", context)


@router.get("/questionnaires/{slug}/diff", response_class=HTMLResponse)
def questionnaire_diff(
    request: Request, slug: str, v1: RowId, v2: RowId, session: SessionDep, _: AdminUser
) -> Response:
    old = questionnaire_of(get_version(session=session, slug=slug, version=v1))
    new = questionnaire_of(get_version(session=session, slug=slug, version=v2))
    return _render(request, "diff.html", {"slug": slug, "v1": v1, "v2": v2, "diff": diff(old, new)})


@router.post("/questionnaires/{slug}/{version}/publish")
def questionnaire_publish(
    request: Request,
    slug: str,
    version: RowIdPath,
    session: SessionDep,
    user: AdminUser,
    _csrf: CsrfChecked,
) -> Response:
    try:
        publish(session=session, slug=slug, version=version, actor=user.username)
    except SurveyError as exc:
        session.rollback()
        rows = [(r, questionnaire_of(r)) for r in list_versions(session=session)]
        return _render(request, "questionnaires.html", {"rows": rows, "error": str(exc)}, 409)
    session.commit()
    return RedirectResponse("/admin/questionnaires", status_code=303)


# -- waves ----------------------------------------------------------------------------------


def _waves_page(request: Request, session: Any, error: str | None, status: int) -> Response:
    counts = response_counts(session=session)
    jobs = latest_jobs(session=session)
    rows = []
    for w in list_waves(session=session):
        q = session.get(QuestionnaireRecord, w.questionnaire_id)
        rows.append(
            {
                "wave": w,
                "status": effective_status(w),
                "questionnaire": f"{q.slug}@{q.version}" if q else "?",
                "window": window_text(w),
                "responses": counts.get(w.id or 0, 0),
                "job": jobs.get(w.id or 0),
            }
        )
    published = [r for r in list_versions(session=session) if r.published]
    return _render(
        request,
        "waves.html",
        {"rows": rows, "published": published, "error": error},
        status,
    )


@router.get("/waves", response_class=HTMLResponse)
def waves_page(request: Request, session: SessionDep, _: AdminUser) -> Response:
    return _waves_page(request, session, None, 200)


@router.post("/waves")
def waves_create(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: AdminUser,
    _csrf: CsrfChecked,
    code: Annotated[str, Form(max_length=32)],
    questionnaire: Annotated[str, Form(max_length=80)],
    opens: Annotated[str, Form(max_length=40)] = "",
    closes: Annotated[str, Form(max_length=40)] = "",
    access: Annotated[str, Form(max_length=16)] = "open",
    model: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        slug, version = parse_spec(questionnaire)
        record = get_version(
            session=session, slug=slug, version=version, published_only=version is None
        )
        create_wave(
            session=session,
            code=code.strip(),
            questionnaire=record,
            actor=user.username,
            opens_at=parse_moment(opens.strip() or None),
            closes_at=parse_moment(closes.strip() or None),
            access_mode=access,
            default_model=model.strip() or DEFAULT_MODEL,
        )
    except SurveyError as exc:
        session.rollback()
        return _waves_page(request, session, str(exc), 409)
    session.commit()
    return RedirectResponse("/admin/waves", status_code=303)


@router.post("/waves/{code}/{action}")
def waves_action(
    request: Request,
    code: str,
    action: str,
    session: SessionDep,
    settings: SettingsDep,
    user: AdminUser,
    _csrf: CsrfChecked,
    tasks: BackgroundTasks,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    job = None
    try:
        if action == "open":
            open_wave(session=session, code=code, actor=user.username)
        elif action == "close":
            _wave, job = close_wave(
                session=session,
                wave_code=code,
                actor=user.username,
                bootstrap=settings.bootstrap_replicates,
            )
        elif action == "reopen":
            reopen_wave(session=session, code=code, reason=reason, actor=user.username)
        else:
            return _waves_page(request, session, f"unknown action {action!r}", 404)
    except SurveyError as exc:
        session.rollback()
        return _waves_page(
            request, session, str(exc), 404 if isinstance(exc, NotFoundError) else 409
        )
    session.commit()
    if job is not None:  # the final snapshot is computed as a job (api/services/jobs.py)
        schedule(
            job,
            session=session,
            in_process=settings.runs_jobs_in_process,
            tasks=tasks,
            lease_s=settings.job_lease_seconds,
        )
    return RedirectResponse("/admin/waves", status_code=303)
