"""Issue 13, point 5: a poster's QR code, decoded from the page's SVG, carries the configured
public address (or the serving one) and opens the community's questionnaire."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlparse

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.support.factories import seed_minimal
from tests.support.qr import decode_qr_svg, modules
from tests.support.staff import engine_of, seed_staff, session_cookie

PUBLIC = "https://survey.chenghua.example.cn"


def poster_links(client: TestClient, path: str) -> tuple[list[str], list[str]]:
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    svgs = re.findall(r"<svg.*?</svg>", page.text, re.S)
    printed = re.findall(r'<p class="poster-url">([^<]+)</p>', page.text)
    return [decode_qr_svg(svg) for svg in svgs], printed


def signed_in(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app) as client:
        seed_minimal(app.state.engine)
        seed_staff(engine_of(client))
        client.cookies.update(session_cookie(engine_of(client), settings, "admin"))
        yield client


@pytest.fixture
def public_client(sqlite_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=sqlite_url, secret_key="test-secret", public_base_url=PUBLIC + "/"
    )
    yield from signed_in(settings)


def test_the_decoder_reads_what_segno_wrote() -> None:
    import segno

    qr = segno.make("https://example.cn/s/abc", error="m")
    svg = qr.svg_inline(scale=8, border=2)
    assert decode_qr_svg(svg) == "https://example.cn/s/abc"
    # The rasterised path is segno's own module matrix, after the 2-module border.
    size = len(qr.matrix)
    assert (modules(svg)[2:, 2:] == np.array(qr.matrix, dtype=bool)[:size, :size]).all()


def test_a_posters_qr_code_opens_the_communitys_questionnaire(
    public_client: TestClient,
) -> None:
    decoded, printed = poster_links(public_client, "/admin/waves/W1/posters/C1")
    assert len(decoded) == 1 and decoded == printed  # the code says what the poster prints
    link = urlparse(decoded[0])
    assert f"{link.scheme}://{link.netloc}" == PUBLIC  # the public address, not 127.0.0.1:8000
    assert link.path.startswith("/s/")
    # Opening the decoded link (on this server) shows community C1's questionnaire.
    public_client.cookies.clear()
    form = public_client.get(link.path)
    assert form.status_code == 200 and "一号社区" in form.text


def test_every_poster_of_a_wave_decodes_to_its_own_community(
    public_client: TestClient,
) -> None:
    decoded, printed = poster_links(public_client, "/admin/waves/W1/posters")
    assert decoded == printed and len(set(decoded)) == len(decoded) >= 2
    public_client.cookies.clear()
    names = []
    for url in decoded:
        page = public_client.get(urlparse(url).path).text
        names.append(re.search(r"(一号社区|二号社区|三号社区)", page).group(1))  # type: ignore[union-attr]
    assert len(set(names)) == len(names)


def test_without_a_public_address_the_serving_address_is_used(client: TestClient) -> None:
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    seed_staff(engine_of(client))
    client.cookies.update(session_cookie(engine_of(client), settings, "admin"))
    decoded, _ = poster_links(client, "/admin/waves/W1/posters/C1")
    assert decoded[0].startswith("http://testserver/s/")
