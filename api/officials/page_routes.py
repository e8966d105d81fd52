"""Officials' HTML pages: district dashboard, community scorecard, street page, trends.

Server-rendered, no script; Chinese by default, English with ``?lang=en`` (remembered in a
cookie). Every page requires a signed-in staff user (otherwise a redirect to /login) and shows
only what the user's scope allows, the same rules as the JSON API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import select

from api.deps import CommunityDep, SessionDep, SettingsDep, WaveDep
from api.officials.action_routes import scoped_actions
from api.officials.render import (
    base_context,
    community_rows,
    dashboard_charts,
    export_links,
    scorecard_context,
    street_options,
    summary_chart,
    trend_chart_for,
)
from api.officials.text import official_translator
from api.officials.views import dimension_bars
from api.services.action_overview import overdue_actions, unanswered_communities
from api.services.actions import action_views
from api.services.district_summary import build_summary
from api.services.labels import labels_for_wave
from api.services.official_loop import effects_of_actions, page_summary, page_themes, summary_scope
from api.services.snapshot_store import wave_results, waves_with_snapshots
from api.services.street_level import AGGREGATION_METHOD, aggregates, street_rows
from api.services.themes import MIN_THEME_COUNT
from api.services.trends import community_trend, district_trend, street_trend
from api.web.auth import CurrentUser
from api.web.i18n import remember_lang, request_lang
from api.web.messages import text
from api.web.permissions import (
    Scope,
    allowed_communities,
    allowed_streets,
    ensure_street,
    require_community,
    require_street_aggregate,
    street_aggregate_allowed,
)
from api.web.templating import templates
from scoring.rank import Note
from survey.storage.models import User, Wave
from survey.storage.registry import get_street

router = APIRouter(tags=["official pages"], include_in_schema=False)

PAGE_HEADERS = {
    # No script on these pages at all; styles and everything else from this origin only.
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; "
    "object-src 'none'",
    "Cache-Control": "private, no-cache",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
ModelQuery = Query(default=None, max_length=64)


def _lang_url(request: Request, lang: str) -> str:
    params = dict(request.query_params)
    params["lang"] = "zh" if lang == "en" else "en"
    return f"{request.url.path}?{urlencode(params)}"


def _render(request: Request, template: str, build: Any, **kwargs: Any) -> HTMLResponse:
    lang = request_lang(request)
    context = build(lang=lang, lang_url=_lang_url(request, lang), **kwargs)
    response = templates.TemplateResponse(request, template, context, headers=PAGE_HEADERS)
    remember_lang(response, request)
    return response


def _dashboard_wave(session: Any, model_name: str) -> str | None:
    """The latest wave scored with the trend's model: where a trend page links back to."""
    scored = [
        w.code
        for w, ref in waves_with_snapshots(session=session, model_name=model_name)
        if ref is not None
    ]
    return scored[-1] if scored else None


def _street_checker(user: User, session: Any) -> Any:
    allowed = allowed_streets(user, session)
    scope = Scope.of(user)
    return lambda code: scope.allows_street(code) and (allowed is None or code in allowed)


@router.get("/waves/{wave}", response_class=HTMLResponse)
def dashboard(
    request: Request,
    wave: WaveDep,
    session: SessionDep,
    user: CurrentUser,
    model: str | None = ModelQuery,
    street: str | None = Query(default=None, max_length=32),
) -> HTMLResponse:
    view = wave_results(session=session, wave=wave, model_name=model)
    keep = allowed_communities(user, view.streets())
    streets_allowed = allowed_streets(user, session)

    def build(lang: str, lang_url: str) -> dict[str, Any]:
        t = official_translator(lang)
        rows = [
            r
            for r in community_rows(view, street=street or None)
            if keep is None or r["community"] in keep
        ]
        summary = build_summary(session=session, wave=wave, model_name=model, allowed=keep)
        ctx = base_context(
            lang,
            page_title=f"{t('dashboard')} · {wave.code}",
            nav_wave=wave.code,
            lang_url=lang_url,
            model=model,
            grade_bands=view.provenance.grade_bands,
        )
        ctx.update(
            data=summary,
            summary=summary,
            rows=rows,
            street_filter=street or "",
            street_options=street_options(view, streets_allowed if keep is not None else None),
            dot_chart=dashboard_charts(rows, view, lang=lang, grouped=not street) if rows else None,
            street_rows=street_rows(view, allowed=streets_allowed),
            distribution_chart=summary_chart(summary, lang),
            can_see_street=_street_checker(user, session),
            exports=export_links(wave.code, role=user.role, model=model),
        )
        actions = scoped_actions(session, user)
        ctx.update(
            overdue_actions=overdue_actions(session, actions),
            unanswered=unanswered_communities(
                view, actions, labels_for_wave(session=session, wave=wave), keep
            ),
            effects_summary=page_summary(session, wave.code, summary_scope(user)),
        )
        return ctx

    return _render(request, "official/dashboard.html", build)


@router.get("/waves/{wave}/communities/{community}", response_class=HTMLResponse)
def scorecard_page(
    request: Request,
    wave: WaveDep,
    community: CommunityDep,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    model: str | None = ModelQuery,
) -> HTMLResponse:
    street = require_community(user, session, community)
    link = None
    if street is not None and Scope.of(user).allows_street(street):
        link = f"/waves/{wave.code}/streets/{street}"

    def build(lang: str, lang_url: str) -> dict[str, Any]:
        ctx = scorecard_context(
            session=session,
            wave=wave,
            community=community,
            model=model,
            lang=lang,
            street_link=link,
            comment_delay_days=settings.comment_delay_days,
            lang_url=lang_url,
        )
        # The loop: each priority links to "create an action", and the community's actions
        # with their measured effects; the residents' themes. Neither for a suppressed one.
        actions = [
            a for a in scoped_actions(session, user) if a.scope_code in (community.code, street)
        ]
        hidden = bool(ctx["sc"]["suppressed"])
        ctx.update(
            action_links=user.role in ("admin", "official"),
            community_actions=action_views(session, actions),
            public_url=f"/p/{quote(wave.code)}/{quote(community.code)}",
            loop_effects=None if hidden else effects_of_actions(session, actions),
            loop_themes=page_themes(
                session, wave=wave.code, level="community", code=community.code, suppressed=hidden
            ),
            theme_min_count=MIN_THEME_COUNT,
        )
        ctx["exports"] = export_links(
            wave.code, role=user.role, model=model, community=community.code
        )
        return ctx

    return _render(request, "official/scorecard.html", build)


@router.get("/waves/{wave}/streets/{street}", response_class=HTMLResponse)
def street_page(
    request: Request,
    wave: WaveDep,
    street: str,
    session: SessionDep,
    user: CurrentUser,
    model: str | None = ModelQuery,
) -> HTMLResponse:
    found = get_street(session=session, code=street)
    ensure_street(user, found.code)
    view = wave_results(session=session, wave=wave, model_name=model)

    def build(lang: str, lang_url: str) -> dict[str, Any]:
        t = official_translator(lang)
        srows = street_rows(view)
        mine = next((r for r in srows if r["street"] == found.code), None)
        if mine is None:  # a street with no community in this wave
            mine = {
                "street": found.code,
                "street_name": found.name,
                "suppressed": True,
                "suppression_reason": text(Note.INSUFFICIENT_SAMPLE),
                "suppression_reason_code": Note.INSUFFICIENT_SAMPLE,
                "n": 0,
                "communities": 0,
                "communities_published": 0,
                "score": None,
            }
        rows = community_rows(view, street=found.code)
        trend = street_trend(session=session, street=found.code, model_name=view.ref.model_name)
        district = district_trend(
            session=session,
            model_name=view.ref.model_name,
            allowed_communities=set(),
            allowed_streets=set(),
        )
        ctx = base_context(
            lang,
            page_title=f"{found.name} · {t('street_page')}",
            nav_wave=wave.code,
            lang_url=lang_url,
            model=model,
            grade_bands=view.provenance.grade_bands,
        )
        agg = aggregates(view)
        data = {
            "wave": wave.code,
            "model": view.ref.model_name,
            "model_version": view.ref.model_version,
            "preset": view.provenance.preset,
            "ci_level": view.provenance.ci_level,
            "computed_at": view.ref.computed_at,
            "min_n": view.provenance.min_n,
        }
        ctx.update(
            data=data,
            street=mine,
            rows=rows,
            method=AGGREGATION_METHOD,
            street_count=sum(a["rank"] is not None for a in agg["streets"].values()),
            dot_chart=dashboard_charts(rows, view, lang=lang, grouped=False),
            dimension_chart=_street_dimensions(
                mine,
                agg,
                lang,
                labels_for_wave(session=session, wave=wave).dimensions,
                view.provenance.grade_bands,
            )
            if not mine["suppressed"]
            else None,
            effects_summary=None
            if mine["suppressed"]
            else page_summary(session, wave.code, f"street:{found.code}"),
            loop_themes=page_themes(
                session,
                wave=wave.code,
                level="street",
                code=found.code,
                suppressed=bool(mine["suppressed"]),
                hidden_communities=[r["community"] for r in rows if r["suppressed"]],
            ),
            theme_min_count=MIN_THEME_COUNT,
            trend=trend,
            exports=export_links(wave.code, role=user.role, model=model),
            trend_chart=trend_chart_for(
                trend,
                title=mine["street_name"],
                lang=lang,
                extra=[(t("district_mean"), district["points"], "diamond", "1.5 2.5", False)],
            ),
        )
        return ctx

    return _render(request, "official/street.html", build)


def _street_dimensions(
    street: dict[str, Any],
    agg: dict[str, Any],
    lang: str,
    labels: dict[str, dict[str, str]],
    grade_bands: Sequence[tuple[str, float | None]],
) -> Any:
    # The street's dimensions as bars, with the district mean as the comparison marker.
    t = official_translator(lang)
    district = agg["district"]["dimensions"]
    sc = {
        "community": {"name": street["street_name"]},
        "grade_bands": grade_bands,
        "dimensions": [
            {
                "code": code,
                "label": labels.get(code, code),
                "score": value,
                "ci_low": None,
                "ci_high": None,
                "street_mean": None,
                "district_mean": district.get(code),
                "housing_mean": None,
            }
            for code, value in street["dimensions"].items()
        ],
    }
    return dimension_bars(sc, chart_id="dims", lang=lang, t=t, bar_label=t("street_score"))


@router.get("/trends", response_class=HTMLResponse)
def district_trend_page(
    request: Request, session: SessionDep, user: CurrentUser, model: str | None = ModelQuery
) -> HTMLResponse:
    def build(lang: str, lang_url: str) -> dict[str, Any]:
        t = official_translator(lang)
        report = district_trend(session=session, model_name=model)
        keep = allowed_communities(user, {r["code"]: r["street"] for r in report["communities"]})
        streets = allowed_streets(user, session)
        report["communities"] = [
            r for r in report["communities"] if keep is None or r["code"] in keep
        ]
        report["streets"] = [
            r for r in report["streets"] if streets is None or r["street"] in streets
        ]
        ctx = base_context(
            lang,
            page_title=t("trends"),
            nav_wave=_dashboard_wave(session, report["model"]),
            lang_url=lang_url,
            model=model,
        )
        ctx.update(
            heading=t("district_mean"),
            trend=report,
            trend_chart=trend_chart_for(report, title=t("district_mean"), lang=lang),
            street_table={"waves": report["waves"], "rows": report["streets"]},
            community_table={"waves": report["waves"], "rows": report["communities"]},
        )
        return ctx

    return _render(request, "official/trends.html", build)


@router.get("/trends/communities/{community}", response_class=HTMLResponse)
def community_trend_page(
    request: Request,
    community: CommunityDep,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    model: str | None = ModelQuery,
) -> HTMLResponse:
    street = require_community(user, session, community)

    def build(lang: str, lang_url: str) -> dict[str, Any]:
        t = official_translator(lang)
        report = community_trend(session=session, community=community.code, model_name=model)
        extra = []
        if street is not None and street_aggregate_allowed(user, session, street):
            st = street_trend(session=session, street=street, model_name=report["model"])
            extra.append((t("street_mean"), st["points"], "triangle", "6 3", False))
        district = district_trend(
            session=session,
            model_name=report["model"],
            allowed_communities=set(),
            allowed_streets=set(),
        )
        extra.append((t("district_mean"), district["points"], "diamond", "1.5 2.5", False))
        ctx = base_context(
            lang,
            page_title=f"{community.name} · {t('trends')}",
            nav_wave=_dashboard_wave(session, report["model"]),
            lang_url=lang_url,
            model=model,
        )
        nav = ctx.get("nav_wave")
        wave_row = (
            None if nav is None else session.exec(select(Wave).where(Wave.code == nav)).first()
        )
        names = (
            {} if wave_row is None else labels_for_wave(session=session, wave=wave_row).dimensions
        )
        ctx.update(
            heading=community.name,
            trend=report,
            trend_chart=trend_chart_for(report, title=community.name, lang=lang, extra=extra),
            dimension_changes=[
                {"code": code, "label": names.get(code, {"zh": code, "en": code}), "change": ch[-1]}
                for code, ch in report["dimension_changes"].items()
                if ch
            ],
        )
        return ctx

    return _render(request, "official/trends.html", build)


@router.get("/trends/streets/{street}", response_class=HTMLResponse)
def street_trend_page(
    request: Request,
    street: str,
    session: SessionDep,
    user: CurrentUser,
    model: str | None = ModelQuery,
) -> HTMLResponse:
    found = get_street(session=session, code=street)
    require_street_aggregate(user, session, found.code)

    def build(lang: str, lang_url: str) -> dict[str, Any]:
        t = official_translator(lang)
        report = street_trend(session=session, street=found.code, model_name=model)
        district = district_trend(
            session=session,
            model_name=report["model"],
            allowed_communities=set(),
            allowed_streets=set(),
        )
        ctx = base_context(
            lang,
            page_title=f"{found.name} · {t('trends')}",
            nav_wave=_dashboard_wave(session, report["model"]),
            lang_url=lang_url,
            model=model,
        )
        ctx.update(
            heading=found.name,
            trend=report,
            trend_chart=trend_chart_for(
                report,
                title=found.name,
                lang=lang,
                extra=[(t("district_mean"), district["points"], "diamond", "1.5 2.5", False)],
            ),
        )
        return ctx

    return _render(request, "official/trends.html", build)
