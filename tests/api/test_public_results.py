"""The residents' public results page (/p/{wave}/{community}), its JSON twin and its A4 print:
results, top needs and actions, and nothing that is suppressed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.schemas.public import PublicResults
from api.services.public_results import MIN_NEED_COUNT, change_words
from survey.storage.access import open_link_token
from survey.storage.actions import ActionFields, add_note, create_action
from survey.storage.db import session_scope
from survey.storage.models import ScoreSnapshot, Wave
from survey.storage.responses import submit_response
from tests.support.factories import complete_answers, new_client_id
from tests.support.staff import (
    DEFAULT_COMMUNITIES,
    engine_of,
    seed_staff,
    snapshot_results,
    store_snapshot,
)
from tests.support.survey_form import fill_until

PLANTED = 37.91  # written into every cell of the suppressed community C2
PLANTED_TEXTS = ("37.9", "37.91", "37,9")
COMMENT = "楼下烧烤摊每晚吵到凌晨三点王大爷电话13800000000"


def set_status(client: TestClient, code: str, status: str) -> None:
    with session_scope(engine_of(client)) as session:
        wave = session.exec(select(Wave).where(Wave.code == code)).one()
        wave.status = status
        session.add(wave)


def submit(client: TestClient, community: str, priorities: list[str], comment: str = "") -> None:
    answers: dict[str, Any] = {**complete_answers(), "P1": priorities}
    if comment:
        answers["P2"] = comment
    with Session(engine_of(client)) as session:
        submit_response(
            session=session,
            wave_code="W1",
            community_code=community,
            client_id=new_client_id(),
            answers=answers,
        )


def plant_in_suppressed(results: dict[str, Any]) -> dict[str, Any]:
    """Every figure of suppressed C2 set to ``PLANTED``, the suppression flag left on."""
    row = next(r for r in results["communities"] if r["code"] == "C2")
    assert row["suppressed"]
    for key in ("index", "ci_low", "ci_high"):
        row[key] = PLANTED
    for node in (*row["dimensions"].values(), *row["subdimensions"].values()):
        node["score"] = PLANTED
    for node in row["items"].values():
        node.update(score=PLANTED, pct_positive=PLANTED)
    return results


def add_action(client: TestClient, scope: str, title: str, codes: list[str], **kw: Any) -> int:
    level = "street" if scope.startswith("S") else "community"
    with session_scope(engine_of(client)) as session:
        action = create_action(
            session=session,
            scope_level=level,
            scope_code=scope,
            fields=ActionFields(title=title, codes=codes, owner="居委会"),
            actor="street",
        )
        for status in kw.get("statuses", []):
            add_note(
                session=session, action_id=action.id or 0, note="", status=status, actor="street"
            )
        return action.id or 0


@pytest.fixture
def district(client: TestClient) -> TestClient:
    """W0 (closed, C1 = 70.0) and W1 (C1 = 82.34, C2 suppressed with planted figures)."""
    engine = engine_of(client)
    seed_staff(engine)
    for _ in range(MIN_NEED_COUNT + 1):
        submit(client, "C1", ["D1a", "D2b"], comment=COMMENT)
    for _ in range(MIN_NEED_COUNT - 1):
        submit(client, "C1", ["D3a"])
    for _ in range(MIN_NEED_COUNT + 2):
        submit(client, "C2", ["D4a"])
    with session_scope(engine) as session:
        w1 = session.exec(select(Wave).where(Wave.code == "W1")).one()
        session.add(Wave(code="W0", questionnaire_id=w1.questionnaire_id, status="closed"))
    earlier = [
        (c, s, sn, n, None if v is None else v - 12.34) for c, s, sn, n, v in DEFAULT_COMMUNITIES
    ]
    store_snapshot(engine, snapshot_results(earlier, "W0"), wave_code="W0")
    store_snapshot(engine, plant_in_suppressed(snapshot_results(DEFAULT_COMMUNITIES)))
    set_status(client, "W1", "closed")
    return client


def test_change_in_plain_words_follows_the_change_rule() -> None:
    # Cells as api.services.change_rule labels them: the words follow its ``significant``.
    up = {"delta": 82.34 - 70.0, "significant": True, "label": "up"}
    assert change_words(up, "zh") == "比上次提高 12.3 分，变化显著"
    assert change_words(up, "en") == "12.3 points higher than last time, a significant change"
    small = {"delta": 76.8 - 80.0, "significant": False, "label": "flat"}  # inside the error
    assert change_words(small, "zh") == "比上次下降 3.2 分，变化不显著（在误差范围内）"
    assert change_words(
        {"delta": None, "note": {"zh": "无上一轮数据", "en": "no previous wave"}}, "en"
    ) == ("no previous wave")


def test_the_page_shows_results_needs_and_actions(district: TestClient) -> None:
    mine = add_action(district, "C1", "增设非机动车充电桩", ["D1a"], statuses=["in_progress"])
    add_action(district, "S1", "街道统一更换路灯", ["D2c"], statuses=["in_progress", "done"])
    add_action(district, "C3", "别的街道的事项", ["D1a"])
    body = district.get("/api/v1/public/waves/W1/communities/C1")
    assert body.status_code == 200
    r = PublicResults.model_validate(body.json())
    assert r.published and r.overall is not None and r.overall.score == pytest.approx(82.34)
    assert r.change is not None and r.change.words["zh"] == "比上次提高 12.3 分，变化显著"
    assert len(r.dimensions) == 6 and all(d.change_words for d in r.dimensions)
    assert [(n.code, n.count) for n in r.needs] == [("D1a", 6), ("D2b", 6)]  # D3a: 4 < 5
    assert r.needs[0].share == pytest.approx(6 / 10)
    assert [a.title for a in r.actions] == ["增设非机动车充电桩", "街道统一更换路灯"]
    assert r.themes == []  # fewer comments than the themes minimum: none shown
    page = district.get("/p/W1/C1")
    assert page.status_code == 200 and "sign" not in page.headers.get("location", "")
    html = page.text
    assert "82.3" in html and "比上次提高 12.3 分，变化显著" in html and "你说 · 我们做" in html
    # 你说 · 我们做: the first need, then the action answering it with its status, then the next.
    first, second = (n.label["zh"] for n in r.needs)
    at_need = html.index(first, html.index('id="h-needs"'))
    at_action = html.index("增设非机动车充电桩")
    assert at_need < html.index("进行中", at_need) < at_action < html.index(second, at_need)
    assert "街道统一更换路灯" in html
    assert "已完成" in html
    assert "别的街道的事项" not in html and f"/actions/{mine}" not in html
    assert "<script" not in html and "https://" not in html
    en = district.get("/p/W1/C1?lang=en").text
    assert "12.3 points higher than last time" in en and "What we are doing" in en


def test_no_comment_text_and_no_individual_answer_anywhere(district: TestClient) -> None:
    for url in ("/p/W1/C1", "/p/W1/C1/print", "/api/v1/public/waves/W1/communities/C1"):
        text = district.get(url).text
        assert COMMENT[:6] not in text and "13800000000" not in text, url
        assert "receipt" not in text.lower() and "client_id" not in text


def test_a_suppressed_cell_appears_nowhere(district: TestClient) -> None:
    """Done means: a value planted in a suppressed cell is on no public page, JSON or print."""
    add_action(district, "C2", "二号社区的整改事项", ["D4a"])
    replies = {
        url: district.get(url)
        for url in (
            "/p/W1/C2",
            "/p/W1/C2/print",
            "/api/v1/public/waves/W1/communities/C2",
            "/p/W1/C2?lang=en",
        )
    }
    for url, reply in replies.items():
        assert reply.status_code == 200, url
        for planted in PLANTED_TEXTS:
            assert planted not in reply.text, (url, planted)
        assert "二号社区的整改事项" not in reply.text, url  # only "not published, and why"
    body = replies["/api/v1/public/waves/W1/communities/C2"].json()
    assert body["published"] is False and body["reason"] == "suppressed"
    assert (body["overall"], body["dimensions"], body["needs"], body["actions"]) == (
        None,
        [],
        [],
        [],
    )
    assert "少于 30 份" in body["reason_text"]["zh"]
    assert (
        "少于 30 份" in replies["/p/W1/C2"].text and "少于 30 份" in replies["/p/W1/C2/print"].text
    )
    # The planted value really is in the stored snapshot, so a leak would show above.
    with Session(engine_of(district)) as session:
        stored = session.exec(select(ScoreSnapshot).order_by(col(ScoreSnapshot.id).desc())).first()
        assert stored is not None and "37.91" in json.dumps(stored.results)


def test_an_open_wave_shows_no_figures_and_the_poster_leads_here_after_closing(
    district: TestClient,
) -> None:
    set_status(district, "W1", "open")
    body = district.get("/api/v1/public/waves/W1/communities/C1").json()
    assert body["published"] is False and body["reason"] == "wave_open" and body["overall"] is None
    assert "82.3" not in district.get("/p/W1/C1").text
    token = open_link_token(secret="test-secret", wave_code="W1", community_code="C1")
    assert district.get(f"/s/{token}").status_code == 200  # the questionnaire while open
    set_status(district, "W1", "closed")
    moved = district.get(f"/s/{token}", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/p/W1/C1"
    assert "82.3" in district.get(f"/s/{token}").text


def test_a_snapshot_from_before_the_close_is_not_published(district: TestClient) -> None:
    with session_scope(engine_of(district)) as session:
        wave = session.exec(select(Wave).where(Wave.code == "W1")).one()
        wave.closes_at = datetime.now(UTC) + timedelta(minutes=5)  # closed after the snapshot
        session.add(wave)
    body = district.get("/api/v1/public/waves/W1/communities/C1").json()
    assert body["published"] is False and body["reason"] == "not_scored"
    assert "82.3" not in district.get("/p/W1/C1").text


def test_print_view_is_an_a4_notice(district: TestClient) -> None:
    html = district.get("/p/W1/C1/print").text
    assert 'class="pub-print"' in html and "/static/public.css" in html
    assert "82.3" in html and "/p/W1/C1" in html  # where to scan for the latest
    css = district.get("/static/public.css").text
    assert "@page { size: A4" in css


def test_unknown_wave_or_community_is_404(district: TestClient) -> None:
    assert district.get("/p/NOPE/C1").status_code == 404
    assert district.get("/api/v1/public/waves/W1/communities/NOPE").status_code == 404


def test_the_thank_you_page_links_to_the_results(client: TestClient) -> None:
    token = open_link_token(secret="test-secret", wave_code="W1", community_code="C1")
    done = fill_until(client, f"/s/{token}", complete_answers(), pages=99)
    assert 'href="/p/W1/C1"' in done.html
