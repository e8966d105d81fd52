"""A resident on a 360 px phone, in headless Chromium against the real server: half the pages,
an interruption (reload), resume, finish, 提交成功, and exactly one stored response."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from survey.questionnaire import paging
from survey.questionnaire.model import load_default
from survey.storage.access import open_link_token
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from survey.storage.models import Draft, Response
from tests.support.chromium import ARGS, ARTIFACTS, CHROMIUM, require_chromium
from tests.support.factories import complete_answers, seed_minimal
from tests.support.live import LiveServer, running_server, server_env

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    require_chromium()
    url = f"sqlite:///{tmp_path}/browser.db"
    engine = make_engine(url)
    upgrade(engine)
    seed_minimal(engine)
    engine.dispose()
    with running_server(server_env(url), log=tmp_path / "server.log") as live:
        yield live, url


def stored_draft(db_url: str, client_id: str) -> dict[str, Any]:
    engine = make_engine(db_url)
    with Session(engine) as session:
        draft = session.exec(select(Draft).where(Draft.client_id == client_id)).one()
    engine.dispose()
    return dict(draft.answers)


def answer_page(page: Any, q: Any, index: int, answers: dict[str, Any]) -> None:
    for code in paging.page_codes(q, index):
        value = answers.get(code)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if v is not None:
                page.check(f'input[name="{code}"][value="{v}"]')


def test_a_resident_fills_half_reloads_resumes_and_submits(
    server: tuple[LiveServer, str],
) -> None:
    from playwright.sync_api import sync_playwright

    live, db_url = server
    q = load_default()
    answers = complete_answers()
    n_pages = len(paging.page_sections(q))
    link = f"{live.url}/s/" + open_link_token(
        secret=live.env["MEIHAO_SECRET_KEY"], wave_code="W1", community_code="C1"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            viewport={"width": 360, "height": 740},
            locale="zh-CN",
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(link)
        assert page.locator("h1").first.inner_text() == q.sections[0].title.zh
        # Skip logic on the same page: the age question appears once "yes" is chosen.
        assert not page.locator("#q-age_band").is_visible()
        page.check('input[name="age_18_plus"][value="yes"]')
        assert page.locator("#q-age_band").is_visible()
        # Phone-sized: no sideways scrolling, tap targets of at least 44 px.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        for selector in (".choice", "button.primary", ".lang-switch"):
            box = page.locator(selector).first.bounding_box()
            assert box is not None and box["height"] >= 44, selector
        page.screenshot(path=str(ARTIFACTS / "form-360-first-page.png"), full_page=True)

        half = n_pages // 2
        for index in range(half):
            answer_page(page, q, index, answers)
            page.click("button.primary")
            page.wait_for_url(f"**page={index + 1}")
        # Half-way through the next page, the phone rings: autosave has the answers.
        codes = paging.page_codes(q, half)[:3]
        for code in codes:
            page.check(f'input[name="{code}"][value="{answers[code]}"]')
        page.wait_for_selector("#save-status:not(:empty)")  # the autosave was acknowledged
        page.evaluate("localStorage.clear()")  # so what comes back is the server's draft
        page.goto(link)  # reopening the link from WeChat's history
        assert page.input_value('input[name="page"]') == str(half)
        for code in codes:
            assert page.is_checked(f'input[name="{code}"][value="{answers[code]}"]'), code
        # Offline for a moment: the server never hears of the next answer, the browser keeps it.
        page.route("**/draft", lambda route: route.abort())
        page.evaluate("navigator.sendBeacon = () => false")  # no beacon on the way out either
        fourth = paging.page_codes(q, half)[3]
        page.check(f'input[name="{fourth}"][value="{answers[fourth]}"]')
        page.reload()
        assert page.is_checked(f'input[name="{fourth}"][value="{answers[fourth]}"]')
        assert fourth not in stored_draft(db_url, page.input_value('input[name="client_id"]'))
        page.unroute("**/draft")
        for index in range(half, n_pages):
            answer_page(page, q, index, answers)
            last = index == n_pages - 1
            page.click("button.primary")
            if not last:
                page.wait_for_url(f"**page={index + 1}")
        page.wait_for_selector("text=提交成功")
        page.screenshot(path=str(ARTIFACTS / "form-360-submitted.png"), full_page=True)
        leftovers = page.evaluate(
            "Object.keys(localStorage).filter(k => k.startsWith('meihao:draft:')).length"
        )
        assert leftovers == 0  # the browser copy is forgotten once the server has the answers
        browser.close()
    assert not [m for m in problems if "Content Security Policy" in m or "Refused" in m]
    engine = make_engine(db_url)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Response)).one() == 1
        row = session.exec(select(Response)).one()
    engine.dispose()
    assert row.answers == answers and row.channel == "web"
