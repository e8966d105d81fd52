"""The officials' dashboard, street page, scorecard and trend report in headless Chromium against
the real server, at a 360 px phone and a 1280 px desktop: screenshots into test-artifacts/
(git-ignored), no sideways scrolling of the page, charts drawn (the phone's copy on a phone),
the latest wave's value and change in view at 360 px, Chinese text in a CJK font, and nothing
blocked by the CSP (issue 13, point 2)."""

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
    "street": f"/waves/{WAVE}/streets/CH01",
    "scorecard": f"/waves/{WAVE}/communities/CH02-001",
    "scorecard-suppressed": f"/waves/{WAVE}/communities/{officials_district.SUPPRESSED}",
    "trends": "/trends",
}
# Pages with a table of waves (class trend-table) whose last row is the latest wave.
WITH_TREND_TABLE = ("street", "scorecard", "scorecard-suppressed", "trends")


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


def test_officials_pages_at_360_and_1280_px(server: tuple[LiveServer, str]) -> None:
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
    assert scroll_width <= width, f"{name} at {width}px is {scroll_width}px wide"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    shown = "phone" if width < 600 else "wide"
    charts = page.locator(
        f".chart-{shown} svg.chart, .chart-wrap:not(.chart-wide):not(.chart-phone) svg.chart"
    )
    if name == "scorecard-suppressed":
        assert "样本不足" in page.locator("main").inner_text()
    else:
        assert charts.count() >= (1 if name == "trends" else 2), name
    for k in range(charts.count()):
        chart = charts.nth(k)
        assert chart.is_visible(), f"{name}: chart {k} hidden at {width}px"
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{name}: chart {k} cut off"
    hidden = "wide" if width < 600 else "phone"
    for k in range(page.locator(f".chart-{hidden} svg.chart").count()):
        assert not page.locator(f".chart-{hidden} svg.chart").nth(k).is_visible()
    if name in WITH_TREND_TABLE:
        latest_in_view(page, name, width)
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '社区')")
    assert page.locator("h1").inner_text().strip()
    stylesheet = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert stylesheet == "rgb(255, 255, 255)"  # meihao.css loaded


def latest_in_view(page: Any, name: str, width: int) -> None:
    """The latest wave's row of the trend table: its wave, value and change cells all on
    screen, inside the viewport's width (no sideways scrolling needed to read them)."""
    row = page.locator("table.trend-table tbody tr").last
    assert row.locator("th").inner_text().strip() == WAVE, name
    cells = row.locator("td")
    value, change = cells.first, cells.last
    for label, cell in (("wave", row.locator("th")), ("value", value), ("change", change)):
        cell.scroll_into_view_if_needed()
        box = cell.bounding_box()
        assert box is not None and box["width"] > 0, (name, label)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (name, width, label, box)
    if name != "scorecard-suppressed":
        assert any(ch.isdigit() for ch in value.inner_text()), (name, value.inner_text())
    # The trend chart names the latest wave (on a phone too).
    shown = "phone" if width < 600 else "wide"
    label = page.locator(
        f".chart-{shown} svg#{'trend-phone' if shown == 'phone' else 'trend'} text", has_text=WAVE
    )
    assert label.count() >= 1, (name, width)
    box = label.first.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width, (name, width, box)
