"""The residents' public results page in headless Chromium against the real server: a 360 px
phone and the A4 notice for the bulletin board (print media), screenshots (and the PDF) into
test-artifacts/; no sideways scrolling, nothing blocked by the CSP, a suppressed community shows
only why."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from api.web.auth import SESSION_COOKIE, new_session
from survey.storage.actions import ActionFields, add_note, create_action
from survey.storage.db import make_engine
from survey.storage.models import User
from tests.support import officials_district
from tests.support.chromium import ARGS, ARTIFACTS, CHROMIUM, require_chromium
from tests.support.live import LiveServer, running_server, server_env

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

WAVE = officials_district.LAST
COMMUNITY = officials_district.COMMENTS_SHOWN
A4 = {"width": 794, "height": 1123}  # 210 × 297 mm at 96 px per inch


def seed_actions(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE wave SET status = 'closed'"))
    with Session(engine) as session:
        for title, codes, statuses in (
            ("小区东门增设非机动车充电桩 20 个", ["D1a"], ["in_progress"]),
            ("楼道照明全部更换为声控灯", ["D1b"], ["in_progress", "done"]),
            ("每月一次物业服务居民议事会", ["D2a"], []),
        ):
            action = create_action(
                session=session,
                scope_level="community",
                scope_code=COMMUNITY,
                fields=ActionFields(
                    title=title, codes=codes, owner="社区居委会", due_date=date(2027, 3, 31)
                ),
                actor="admin",
            )
            for status in statuses:
                add_note(
                    session=session, action_id=action.id or 0, note="", status=status, actor="admin"
                )
        session.commit()
    engine.dispose()


@pytest.fixture
def live_url(tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    require_chromium()
    district = officials_district.build(tmp_path, plant=False)
    url = f"sqlite:///{district.path}"
    seed_actions(url)
    with running_server(server_env(url), log=tmp_path / "server.log") as live:
        yield live, url


def staff_cookie(url: str, username: str) -> str:
    engine = make_engine(url)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        value = new_session(session=session, user=user)
    engine.dispose()
    return value


def watch(page: Any, problems: list[str]) -> None:
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )


def test_public_page_at_360_px_and_as_an_a4_notice(live_url: tuple[LiveServer, str]) -> None:
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    server, _url = live_url
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
        page = phone.new_page()
        watch(page, problems)
        for name, path in (
            ("results", f"/p/{WAVE}/{COMMUNITY}"),
            ("results-en", f"/p/{WAVE}/{COMMUNITY}?lang=en"),
            ("suppressed", f"/p/{WAVE}/{officials_district.SUPPRESSED}?lang=zh"),
        ):
            response = page.goto(server.url + path)
            assert response is not None and response.status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 361, f"{name}: {width}px wide at 360 px"
            main = page.locator("main").inner_text()
            if name == "suppressed":
                assert "不公布" in main and "综合满意度指数" not in main
            elif name == "results":
                assert "综合满意度指数" in main and "你说 · 我们做" in main
                assert "充电桩" in main and "已完成" in main
                assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '社区')")
            page.screenshot(path=str(ARTIFACTS / f"public-{name}-360.png"), full_page=True)
        phone.close()

        paper = browser.new_context(viewport=A4, locale="zh-CN")
        page = paper.new_page()
        watch(page, problems)
        response = page.goto(server.url + f"/p/{WAVE}/{COMMUNITY}/print")
        assert response is not None and response.status == 200
        page.emulate_media(media="print")
        assert page.evaluate("document.documentElement.scrollWidth") <= A4["width"] + 1
        assert page.locator("body.pub-print").count() == 1
        page.screenshot(path=str(ARTIFACTS / "public-notice-a4.png"), full_page=True)
        page.pdf(path=str(ARTIFACTS / "public-notice-a4.pdf"), format="A4", print_background=True)
        assert (ARTIFACTS / "public-notice-a4.pdf").stat().st_size > 10_000
        paper.close()
        browser.close()
    assert not problems, problems  # e.g. the style sheet blocked by the CSP


def test_action_pages_at_360_px(live_url: tuple[LiveServer, str]) -> None:
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    live, url = live_url
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
        phone.add_cookies(
            [{"name": SESSION_COOKIE, "value": staff_cookie(url, "street"), "url": live.url}]
        )
        page = phone.new_page()
        watch(page, problems)
        for name, path in (("actions", "/actions"), ("action", "/actions/1")):
            response = page.goto(live.url + path)
            assert response is not None and response.status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 361, f"{name}: {width}px wide at 360 px"
            page.screenshot(path=str(ARTIFACTS / f"officials-{name}-360.png"), full_page=True)
        assert "充电桩" in page.locator("main").inner_text()
        phone.close()
        browser.close()
    assert not problems, problems
