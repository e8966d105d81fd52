"""Page contexts of the officials' pages, and rendering without a request (batch export).

The live pages (``api/routers/official_pages.py``) and ``meihao scorecards`` build the same
contexts here, so a printed scorecard is exactly the page an official sees.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session

from api.officials.text import official_translator
from api.officials.views import (
    dimension_bars,
    distribution_chart,
    helpers,
    ipa_chart,
    ranking_dot_plot,
    scorecard_trend,
    trend_figure,
)
from api.services.comments import community_comments
from api.services.labels import labels_for_wave
from api.services.rankings import ranking_rows
from api.services.read_models import ResultsView
from api.services.scorecard import build_scorecard
from api.services.street_level import aggregates
from api.web.templating import TEMPLATES_DIR
from survey.storage.models import Community, Wave

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


def base_context(
    lang: str,
    *,
    page_title: str,
    nav_wave: str | None,
    lang_url: str | None,
    base: str = "",
    model: str | None = None,
    grade_bands: Sequence[tuple[str, float | None]] = (),
) -> dict[str, Any]:
    t = official_translator(lang)
    return {
        "t": t,
        "lang": lang,
        "helpers": helpers(lang, t, grade_bands),
        "page_title": page_title,
        "nav_wave": nav_wave,
        "lang_url": lang_url,
        "base": base,
        "model_param": model,
        "model_query": f"?model={quote(model)}" if model else "",
    }


def scorecard_context(
    *,
    session: Session,
    wave: Wave,
    community: Community,
    model: str | None,
    lang: str,
    street_link: str | None,
    comment_delay_days: int,
    **base: Any,
) -> dict[str, Any]:
    sc = build_scorecard(session=session, wave=wave, community=community.code, model_name=model)
    t = official_translator(lang)
    charts = {"trend": scorecard_trend(sc, chart_id="trend", lang=lang, t=t)}
    if not sc["suppressed"]:
        charts["dimensions"] = dimension_bars(sc, chart_id="dims", lang=lang, t=t)
        ipa = ipa_chart(sc, chart_id="ipa", lang=lang, t=t)
        if ipa is not None:
            charts["ipa"] = ipa
    labels = labels_for_wave(session=session, wave=wave)
    comments = community_comments(
        session=session,
        wave=wave,
        community=community,
        item=labels.comment_item,
        delay_days=comment_delay_days,
    )
    ctx = base_context(
        lang,
        page_title=f"{sc['community']['name']} · {t('scorecard')}",
        nav_wave=wave.code,
        model=model,
        grade_bands=sc["grade_bands"],
        **base,
    )
    ctx.update(sc=sc, charts=charts, comments=comments, street_link=street_link)
    return ctx


RESEARCH_ROLES = ("admin", "researcher")


def export_links(
    wave: str, *, role: str, model: str | None, community: str | None = None
) -> list[dict[str, Any]]:
    """The downloads an officials' page offers: what the reader's role may export (rankings
    and scorecards for every staff reader, scope-filtered by the export itself; responses and
    codebook for admins and researchers). Each entry: a catalog key and its formats' links."""
    base = f"/api/v1/waves/{quote(wave)}/exports"
    model_q = f"model={quote(model)}" if model else ""

    def href(name: str, fmt: str, *extra: str) -> str:
        query = "&".join(q for q in (*extra, model_q) if q)
        return f"{base}/{name}.{fmt}" + (f"?{query}" if query else "")

    if community is not None:
        one = f"community={quote(community)}"
        return [
            {
                "key": "dl_scorecard",
                "files": [(f, href("scorecards", f, one)) for f in ("xlsx", "csv")],
            }
        ]
    links = [
        {
            "key": "dl_rankings",
            "files": [(f, href("rankings", f)) for f in ("xlsx", "csv", "sav")],
        },
        {"key": "dl_scorecards", "files": [(f, href("scorecards", f)) for f in ("xlsx", "csv")]},
    ]
    if role in RESEARCH_ROLES:
        links.append(
            {
                "key": "dl_responses",
                "files": [(f, f"{base}/responses.{f}") for f in ("xlsx", "csv", "sav")],
            }
        )
        links.append(
            {"key": "dl_codebook", "files": [(f, f"{base}/codebook.{f}") for f in ("xlsx", "csv")]}
        )
    return links


def street_options(view: ResultsView, allowed: set[str] | None) -> list[dict[str, str]]:
    names = {m.street: m.street_name for m in view.meta.values()}
    return [
        {"code": str(c), "name": str(n or c)}
        for c, n in sorted(names.items())
        if c is not None and (allowed is None or c in allowed)
    ]


def dashboard_charts(
    rows: list[dict[str, Any]],
    view: ResultsView,
    *,
    lang: str,
    grouped: bool,
    chart_id: str = "ranking",
) -> Any:
    t = official_translator(lang)
    mean = aggregates(view)["district"]["index"]
    return ranking_dot_plot(
        rows,
        chart_id=chart_id,
        lang=lang,
        t=t,
        group_by_street=grouped,
        district_mean=mean,
        grade_bands=view.provenance.grade_bands,
    )


def summary_chart(summary: dict[str, Any], lang: str) -> Any:
    return distribution_chart(
        summary, chart_id="distribution", t=official_translator(lang), lang=lang
    )


def trend_chart_for(
    report: dict[str, Any],
    *,
    title: str,
    lang: str,
    extra: Sequence[tuple[str, Any, str, str | None, bool]] = (),
) -> Any:
    t = official_translator(lang)
    series: list[tuple[str, Any, str, str | None, bool]] = [
        (title, report["points"], "circle", None, True),
        *extra,
    ]
    return trend_figure(series, chart_id="trend", title=f"{title} · {t('trend')}", lang=lang, t=t)


def community_rows(view: ResultsView, *, street: str | None = None) -> list[dict[str, Any]]:
    """Ranking rows with the published score's caveat (``note``: a code, worded by the page)."""
    rows = ranking_rows(view, street=street)
    for row in rows:
        row["note"] = row["note_code"]
    return rows


# ---- batch export (no request, no server) -------------------------------------------------


def batch_environment() -> Environment:
    """The page templates with ``url_for`` pointing at files next to the exported pages."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html", "xml"])
    )
    env.globals["url_for"] = lambda _name, path="": path
    return env


def export_scorecards(
    *,
    session: Session,
    wave: Wave,
    communities: list[Community],
    out: Path,
    model: str | None,
    comment_delay_days: int,
    lang: str = "zh",
) -> list[Path]:
    """Write one self-contained HTML file per community (plus the style sheets)."""
    out.mkdir(parents=True, exist_ok=True)
    for css in ("meihao.css", "official.css"):
        shutil.copyfile(STATIC_DIR / css, out / css)
    template = batch_environment().get_template("official/scorecard.html")
    written = []
    for community in communities:
        ctx = scorecard_context(
            session=session,
            wave=wave,
            community=community,
            model=model,
            lang=lang,
            street_link=None,
            comment_delay_days=comment_delay_days,
            lang_url=None,
        )
        ctx["offline"] = True
        path = out / f"{wave.code}-{_safe(community.code)}.html"
        path.write_text(template.render(ctx), encoding="utf-8")
        written.append(path)
    return written


def _safe(code: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in code)
