"""The loop on the officials' pages (issue 14): measured effects on the scorecard, the action
page, the street page and the dashboard; 急难愁盼 themes on the scorecard and the street page;
the export's effect columns. Over the scored officials' district
(tests/support/officials_district.py).

Planted here: the last wave is closed; completed actions in CH01-001 (D6b) and CH01-002 (D2a)
between the second and the third wave, and one in the community suppressed in the last wave
(CH02-003, 20 responses), whose residents also get 15 identical comments — enough for a theme —
that no officials' page may show (the JSON theme API, which does not apply the publication rule,
shows them: the check could fail).
"""

from __future__ import annotations

import io
from datetime import timedelta
from html import escape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text
from sqlmodel import Session, select

from api.services.action_effects import all_effects, effects_summary
from api.services.themes import publish_theme_model, scope_themes
from survey.storage.actions import ActionFields, add_note, create_action
from survey.storage.models import Wave
from tests.support.officials_district import LAST, SUPPRESSED, SUPPRESSED_STREET, WAVES, sign_in
from tests.support.staff import bearer, engine_of

ACTED = {"CH01-001": "D6b", "CH01-002": "D2a", SUPPRESSED: "D3a"}
HIDDEN_PHRASE = "车位少"  # planted in the suppressed community only


def _complete_actions(session: Session) -> dict[str, int]:
    before, after = (session.exec(select(Wave).where(Wave.code == c)).one() for c in WAVES[1:])
    assert before.closes_at is not None and after.opens_at is not None
    done_at = before.closes_at + (after.opens_at - before.closes_at) / 2
    ids = {}
    for community, sub in ACTED.items():
        action = create_action(
            session=session,
            scope_level="community",
            scope_code=community,
            fields=ActionFields(title=f"整改{community}", codes=[sub], wave_code=WAVES[1]),
            actor="admin",
        )
        add_note(session=session, action_id=action.id or 0, note="完成", actor="a", status="done")
        action.completed_at = done_at
        session.add(action)
        ids[community] = action.id or 0
    return ids


@pytest.fixture
def loop(officials_client: TestClient) -> tuple[TestClient, dict[str, int]]:
    engine = engine_of(officials_client)
    with Session(engine) as session:
        last = session.exec(select(Wave).where(Wave.code == LAST)).one()
        assert last.opens_at is not None
        last.status, last.closes_at = "closed", last.opens_at + timedelta(days=60)
        session.add(last)
        ids = _complete_actions(session)
        session.commit()
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT r.id FROM response r JOIN community c ON c.id = r.community_id "
                "JOIN wave w ON w.id = r.wave_id WHERE c.code = :c AND w.code = :w ORDER BY r.id"
            ),
            {"c": SUPPRESSED, "w": LAST},
        ).all()
        for (rid,) in rows[:15]:
            conn.execute(
                text("UPDATE response SET answers = json_set(answers, '$.P2', :t) WHERE id = :i"),
                {"t": HIDDEN_PHRASE, "i": rid},
            )
    return officials_client, ids


def _effects(client: TestClient) -> list[dict[str, Any]]:
    with Session(engine_of(client)) as session:
        return all_effects(session)


def _section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start : html.index("</section>", start)]


def _effect_cell(e: dict[str, Any]) -> str:
    return f"{e['estimate']:+.1f} ({e['ci_low']:.1f}–{e['ci_high']:.1f})"


def test_scorecard_and_action_page_show_each_completed_actions_effect(loop: Any) -> None:
    client, ids = loop
    effects = {e["action_id"]: e for e in _effects(client)}
    mine = effects[ids["CH01-001"]]
    assert mine["after_wave"] == LAST and mine["estimate"] is not None, mine
    sign_in(client, "district")
    html = client.get(f"/waves/{LAST}/communities/CH01-001").text
    section = _section(html, "h-effects")
    assert f'href="/actions/{ids["CH01-001"]}"' in section
    assert _effect_cell(mine) in section
    assert mine["label_text"]["zh"] in section
    assert f"{WAVES[1]} → {LAST}" in section
    assert f'/actions/{ids["CH01-002"]}"' not in section  # another community's action
    en = _section(client.get(f"/waves/{LAST}/communities/CH01-001?lang=en").text, "h-effects")
    assert "Did the actions work?" in en and mine["label_text"]["en"] in en
    assert mine["label_text"]["zh"] not in en
    # the action's own page says the same
    page = client.get(f"/actions/{ids['CH01-001']}?lang=zh").text
    assert mine["label_text"]["zh"] in page and f"Δ {mine['estimate']:+.1f}" in page
    # a community without a completed action says so
    other = _section(client.get(f"/waves/{LAST}/communities/CH02-001").text, "h-effects")
    assert "本社区暂无已完成的整改事项" in other


def test_a_suppressed_community_shows_no_effect_and_no_theme(loop: Any) -> None:
    client, _ids = loop
    with Session(engine_of(client)) as session:  # themes would exist without the rule
        raw = scope_themes(session, wave=LAST, level="community", code=SUPPRESSED)
    assert raw["shown"] and any(HIDDEN_PHRASE in t["examples"] for t in raw["themes"]), raw
    sign_in(client, "district")
    html = client.get(f"/waves/{LAST}/communities/{SUPPRESSED}").text
    assert "样本不足" in html
    assert 'id="h-effects"' not in html and 'id="h-themes"' not in html
    assert "整改成效" not in html and "居民急难愁盼" not in html
    # the street page leaves the suppressed community's comments out of the street's themes,
    # and so does the JSON API: the community's own themes are withheld, the street's count
    # leaves its comments out
    token = bearer(engine_of(client), "district")
    mine = client.get(f"/api/v1/waves/{LAST}/communities/{SUPPRESSED}/themes", headers=token).json()
    assert mine["withheld"] == "suppressed" and mine["themes"] == [] and not mine["shown"]
    api = client.get(
        f"/api/v1/waves/{LAST}/streets/{SUPPRESSED_STREET}/themes", headers=token
    ).json()
    with Session(engine_of(client)) as session:
        whole = scope_themes(session, wave=LAST, level="street", code=SUPPRESSED_STREET)
    assert HIDDEN_PHRASE in repr(whole) and HIDDEN_PHRASE not in repr(api)
    assert api["withheld"] is None and api["comments"] < whole["comments"]
    street = client.get(f"/waves/{LAST}/streets/{SUPPRESSED_STREET}").text
    assert 'id="h-themes"' in street and HIDDEN_PHRASE not in street


def test_street_page_and_dashboard_show_the_summary_sentence(loop: Any) -> None:
    client, _ids = loop
    with Session(engine_of(client)) as session:
        district = effects_summary(session, LAST, "district")
        street = effects_summary(session, LAST, "street:CH01")
        own = effects_summary(session, LAST, f"street:{SUPPRESSED_STREET}")
    assert (district["completed"], street["completed"], own["completed"]) == (3, 2, 1)
    sign_in(client, "district")
    page = _section(client.get(f"/waves/{LAST}/streets/CH01").text, "h-effects-summary")
    assert street["sentence"]["zh"] in page
    assert f"2 项已完成整改中，{street['improved']} 项对应指标显著改善" in page
    en = client.get(f"/waves/{LAST}/streets/CH01?lang=en").text
    assert escape(street["sentence"]["en"]) in _section(en, "h-effects-summary")
    dash = _section(client.get(f"/waves/{LAST}?lang=zh").text, "h-effects-summary")
    assert f"3 项已完成整改中，{district['improved']} 项" in dash
    # an earlier wave measured none of these actions
    assert "0 项已完成整改中，0 项" in client.get(f"/waves/{WAVES[1]}").text
    sign_in(client, "street")  # a street official: the sentence of their street
    assert own["sentence"]["zh"] in client.get(f"/waves/{LAST}").text


def test_export_effect_columns_come_from_the_effects_service(loop: Any) -> None:
    client, ids = loop
    effects = {e["action_id"]: e for e in _effects(client)}
    reply = client.get("/api/v1/actions/export.xlsx", headers=bearer(engine_of(client), "district"))
    assert reply.status_code == 200
    sheet = load_workbook(io.BytesIO(reply.content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, [c.value for c in r], strict=True)) for r in sheet.iter_rows(2)]
    by_title = {r["事项 title"]: r for r in rows}
    for community, action_id in ids.items():
        row, effect = by_title[f"整改{community}"], effects[action_id]
        assert row["效果轮次 effect wave"] == effect["after_wave"] == LAST
        assert row["效果判断 effect label"] == effect["label_text"]["zh"]
        for column, key in (
            ("效果估计 effect", "estimate"),
            ("效果区间下限 effect CI low", "ci_low"),
        ):
            got = row[column]
            assert (got is None) == (effect[key] is None)
            assert got is None or got == pytest.approx(effect[key], abs=1e-9)
    measured = by_title["整改CH01-001"]
    assert measured["效果估计 effect"] is not None


def test_scorecard_themes_follow_the_thresholds(officials_client: TestClient) -> None:
    client = sign_in(officials_client, "district")
    wave = WAVES[0]
    with Session(engine_of(client)) as session:
        block = scope_themes(session, wave=wave, level="community", code="CH02-001")
        small = scope_themes(session, wave=wave, level="community", code="CH01-001")
    assert block["shown"] and block["themes"] and not small["shown"]
    html = _section(client.get(f"/waves/{wave}/communities/CH02-001").text, "h-themes")
    for theme in block["themes"]:
        assert escape(theme["label"]["zh"]) in html and f">{theme['count']}<" in html
        assert f"{theme['share'] * 100:.1f}%" in html
        for example in theme["examples"]:
            assert f"「{escape(example)}」" in html
    assert "[已隐去]" not in html
    hidden = _section(client.get(f"/waves/{wave}/communities/CH01-001").text, "h-themes")
    assert "留言少于 10 条，不分析主题" in hidden and "<table" not in hidden
    en = client.get(f"/waves/{wave}/communities/CH01-001?lang=en").text
    assert "Fewer than 10 comments: no themes" in _section(en, "h-themes")
    # the last wave is open: no themes at all
    assert 'id="h-themes"' not in client.get(f"/waves/{LAST}/communities/CH02-001").text


def test_themes_under_a_published_model_show_their_trend(officials_client: TestClient) -> None:
    client = sign_in(officials_client, "district")
    with Session(engine_of(client)) as session:
        record = publish_theme_model(
            session,
            name="jnc",
            wave=WAVES[0],
            n_themes=6,
            labels={str(i): {"zh": f"主题{i}号", "en": f"Theme no. {i}"} for i in range(6)},
            actor="admin",
        )
        session.commit()
        block = scope_themes(session, wave=WAVES[1], level="community", code="CH02-004")
    assert record.version == 1 and block["shown"] and block["themes"], block
    html = client.get(f"/waves/{WAVES[1]}/communities/CH02-004?lang=en").text
    section = _section(html, "h-themes")
    assert "Theme model: jnc v1" in section
    for theme in block["themes"]:
        assert theme["label"]["en"] in section
        assert [p["wave"] for p in theme["trend"]] == list(WAVES[:2])
        for point in theme["trend"]:
            share = "—" if point["share"] is None else f"{point['share'] * 100:.1f}%"
            assert f"{point['wave']}: {share}" in section
    street = _section(client.get(f"/waves/{WAVES[1]}/streets/CH02?lang=zh").text, "h-themes")
    assert "主题模型: jnc v1" in street
