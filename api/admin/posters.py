"""Printable QR posters (one per community, for open-link waves) and invitation slips.

The QR code is an inline SVG made by segno: no image files, no network, sharp at any print size.
The same templates serve the admin pages (style sheet linked, under the CSP) and the files the
CLI writes (style sheet inlined, so a file opened from a USB stick prints correctly offline).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import segno
from markupsafe import Markup
from sqlmodel import Session, select

from api.web.templating import templates
from survey.storage.access import format_code, open_link_token
from survey.storage.models import Community, Street, Wave

PRINT_CSS = Path(__file__).resolve().parents[1] / "static" / "print.css"


@dataclass(frozen=True)
class Poster:
    community_code: str
    community_name: str
    street_name: str
    wave_code: str
    url: str
    svg: Markup


@dataclass(frozen=True)
class Slip:
    code: str  # formatted, ABCD-EFGH-JKLM-NPQR
    url: str
    svg: Markup


def qr_svg(url: str, *, scale: int = 8, title: str = "") -> Markup:
    """The QR code of ``url`` as inline SVG (error correction M: survives a crease or a smudge)."""
    # omitsize: a viewBox instead of fixed pixels, so the print style sheet sets the size.
    svg = segno.make(url, error="m").svg_inline(
        scale=scale, border=2, title=title or None, omitsize=True
    )
    return Markup(svg)


def open_link_url(*, base_url: str, secret: str, wave_code: str, community_code: str) -> str:
    token = open_link_token(secret=secret, wave_code=wave_code, community_code=community_code)
    return f"{base_url.rstrip('/')}/s/{token}"


def invitation_url(*, base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/i/{format_code(code)}"


def posters_for_wave(
    *,
    session: Session,
    wave: Wave,
    base_url: str,
    secret: str,
    communities: list[Community] | None = None,
) -> list[Poster]:
    """One poster per community (all of them unless ``communities`` is given), by code."""
    if communities is None:
        communities = list(session.exec(select(Community).order_by(Community.code)).all())
    streets = {s.id: s.name for s in session.exec(select(Street)).all()}
    posters = []
    for community in communities:
        url = open_link_url(
            base_url=base_url, secret=secret, wave_code=wave.code, community_code=community.code
        )
        posters.append(
            Poster(
                community.code,
                community.name,
                streets.get(community.street_id, ""),
                wave.code,
                url,
                qr_svg(url, title=community.name),
            )
        )
    return posters


def slips_for(*, codes: list[str], base_url: str) -> list[Slip]:
    slips = []
    for code in codes:
        url = invitation_url(base_url=base_url, code=code)
        slips.append(Slip(format_code(code), url, qr_svg(url, scale=4)))
    return slips


def _render(template: str, context: dict[str, Any], *, standalone: bool) -> str:
    extra = (
        {"inline_css": Markup(PRINT_CSS.read_text(encoding="utf-8"))}
        if standalone
        else {"css_href": "/static/print.css"}
    )
    return templates.env.get_template(template).render({**context, **extra})


def render_posters(posters: list[Poster], *, standalone: bool) -> str:
    return _render("survey/posters.html", {"posters": posters}, standalone=standalone)


def render_slips(
    *, slips: list[Slip], community: Community, wave: Wave, base_url: str, standalone: bool
) -> str:
    context = {
        "slips": slips,
        "community": community,
        "wave": wave,
        "entry_url": f"{base_url.rstrip('/')}/i",
    }
    return _render("survey/slips.html", context, standalone=standalone)


def write_posters(*, posters: list[Poster], out_dir: Path) -> list[Path]:
    """``<community>.html`` and ``<community>.svg`` per community, ``index.html`` with all of
    them (print it once for the whole wave) and ``links.csv`` (community, name, link)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for poster in posters:
        html = out_dir / f"{poster.community_code}.html"
        html.write_text(render_posters([poster], standalone=True), encoding="utf-8")
        svg = out_dir / f"{poster.community_code}.svg"
        svg.write_text(
            segno.make(poster.url, error="m").svg_inline(scale=8, border=2), encoding="utf-8"
        )
        written += [html, svg]
    index = out_dir / "index.html"
    index.write_text(render_posters(posters, standalone=True), encoding="utf-8")
    links = out_dir / "links.csv"
    with links.open("w", newline="", encoding="utf-8-sig") as handle:  # BOM: Excel reads UTF-8
        writer = csv.writer(handle)
        writer.writerow(["community", "name", "street", "wave", "url"])
        for p in posters:
            writer.writerow([p.community_code, p.community_name, p.street_name, p.wave_code, p.url])
    return [*written, index, links]
