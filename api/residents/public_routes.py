"""The residents' public results of a community: no sign-in, no script, no personal data.

- ``GET /p/{wave}/{community}``: the page (mobile first), Chinese by default, ``?lang=en``;
- ``GET /p/{wave}/{community}/print``: the same content as an A4 notice for the bulletin board;
- ``GET /api/v1/public/waves/{wave}/communities/{community}``: the JSON twin.

The QR poster's link leads here once the wave has closed (api/residents/form_routes.py), and
the thank-you page links here. Content and suppression: api/services/public_results.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic_core import to_json

from api.deps import CommunityDep, SessionDep, SettingsDep, WaveDep
from api.residents.public_text import PUBLIC_TEXT
from api.schemas.public import PublicResults
from api.services.public_results import MIN_NEED_COUNT, build_public_results
from api.settings import Settings, base_url
from api.web.i18n import TEXT, other_lang, remember_lang, request_lang, translator
from api.web.ratelimit import enforce
from api.web.templating import templates

router = APIRouter(tags=["public results"])

PUBLIC_HEADERS = {
    # Nothing runs on these pages; everything comes from this origin (offline-safe).
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; style-src 'self'; "
    "img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "object-src 'none'",
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such wave or community"},
    429: {"description": "too many requests from this network; retry after Retry-After"},
}


def public_path(wave: str, community: str) -> str:
    """Where a community's results live (the poster link leads here after the wave closes)."""
    return f"/p/{quote(wave)}/{quote(community)}"


def needs_and_actions(results: dict[str, Any]) -> tuple[list[Any], list[dict[str, Any]]]:
    """Each named need with the actions that address it (你说 · 我们做), and the other actions."""
    actions = results["actions"]
    pairs = [
        (need, [a for a in actions if need["code"] in a["codes"]]) for need in results["needs"]
    ]
    matched = {a["id"] for _, acts in pairs for a in acts}
    return pairs, [a for a in actions if a["id"] not in matched]


def public_json_path(wave: str, community: str) -> str:
    return f"/api/v1/public/waves/{quote(wave)}/communities/{quote(community)}"


def _page(
    request: Request, settings: Settings, template: str, results: dict[str, Any]
) -> HTMLResponse:
    lang = request_lang(request)
    t = translator(lang, {**TEXT, **PUBLIC_TEXT})
    path = public_path(results["wave"], results["community"]["code"])
    pairs, others = needs_and_actions(results)
    context = {
        "pairs": pairs,
        "others": others,
        "lang": lang,
        "t": t,
        "other_lang": other_lang(lang),
        "switch_url": f"{request.url.path}?lang={other_lang(lang)}",
        "r": results,
        "min_need_count": MIN_NEED_COUNT,
        "page_url": path,
        # The notice on the board names the full address (as the poster's link does).
        "full_url": base_url(settings) + path,
        "print_url": f"{path}/print",
        "json_url": public_json_path(results["wave"], results["community"]["code"]),
        "loc": lambda v: (v or {}).get(lang) or (v or {}).get("zh") or "",
        "num": lambda v: "—" if v is None else f"{v:.1f}",
    }
    response = templates.TemplateResponse(request, template, context, headers=PUBLIC_HEADERS)
    remember_lang(response, request)
    return response


@router.get("/p/{wave}/{community}", response_class=HTMLResponse, include_in_schema=False)
def public_page(
    request: Request,
    wave: WaveDep,
    community: CommunityDep,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    enforce(request, session, settings, "page")
    results = build_public_results(session=session, wave=wave, community=community)
    return _page(request, settings, "public/results.html", results)


@router.get("/p/{wave}/{community}/print", response_class=HTMLResponse, include_in_schema=False)
def public_print(
    request: Request,
    wave: WaveDep,
    community: CommunityDep,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    enforce(request, session, settings, "page")
    results = build_public_results(session=session, wave=wave, community=community)
    return _page(request, settings, "public/print.html", results)


@router.get(
    "/api/v1/public/waves/{wave}/communities/{community}",
    response_model=PublicResults,
    responses=NOT_FOUND,
    summary="A community's public results (no sign-in)",
)
def public_json(
    request: Request,
    wave: WaveDep,
    community: CommunityDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """What the residents' page shows: overall and dimension scores with intervals and change
    in plain words, top needs, themes and actions. A community below ``min_n`` has
    ``published: false``, the reason, and nothing else."""
    enforce(request, session, settings, "page")
    results = build_public_results(session=session, wave=wave, community=community)
    return Response(
        to_json(PublicResults.model_validate(results).model_dump(mode="json")),
        media_type="application/json",
    )
