"""The officials' dashboard and a scorecard in headless Chromium against the real server, at a
360 px phone and a 1280 px desktop: screenshots into test-artifacts/, no sideways scrolling of
the page, charts drawn, Chinese text in a CJK font, and nothing blocked by the CSP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from api.web.auth import SESSION_COOKIE, new_session
from survey.storage.db import make_engine
from survey.storage.models import User
from tests.support import officials_district
from tests.support.chromium import ARGS, ARTIFACTS, CHROMIUM, require_chromium
from tests.support.live import LiveServer, running_server, server_env

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

WAVE = officials_district.LAST
PAGES = {
    "dashboard": f"/waves/{WAVE}",
    "scorecard": f"/waves/{WAVE}/communities/CH02-001",
    "scorecard-suppressed": f"/waves/{WAVE}/communities/{officials_district.SUPPRESSED}",
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    require_chromium()
    district = officials_district.build(tmp_path, plant=False)
    url = f"sqlite:///{district.path}"
    with running_server(server_env(url), log=tmp_path / "server.log") as live:
        yield live, url


def admin_cookie(live: LiveServer, url: str) -> str:
    engine = make_engine(url)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "admin")).one()
        value = new_session(session=session, user=user)
    engine.dispose()
    return value


def test_dashboard_and_scorecard_screenshots(server: tuple[LiveServer, str]) -> None:
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    live, url = server
    cookie = admin_cookie(live, url)
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width, height in ((360, 740), (1280, 900)):
            context = browser.new_context(
                viewport={"width": width, "height": height}, locale="zh-CN"
            )
            context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": live.url}])
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on(
                "response",
                lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )
            for name, path in PAGES.items():
                response = page.goto(live.url + path)
                assert response is not None and response.status == 200, path
                check_page(page, name, width)
                page.screenshot(
                    path=str(ARTIFACTS / f"officials-{name}-{width}.png"), full_page=True
                )
            context.close()
        browser.close()
    assert not problems, problems  # e.g. a style sheet or chart blocked by the CSP


def check_page(page: Any, name: str, width: int) -> None:
    # The page itself never scrolls sideways; wide tables and charts scroll in their box.
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width + 1, f"{name} at {width}px is {scroll_width}px wide"
    charts = page.locator("svg.chart")
    if name == "scorecard-suppressed":
        assert "样本不足" in page.locator("main").inner_text()
    else:
        assert charts.count() >= 2
    for k in range(charts.count()):
        box = charts.nth(k).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '社区')")
    assert page.locator("h1").inner_text().strip()
    stylesheet = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert stylesheet == "rgb(255, 255, 255)"  # meihao.css loaded
