"""Who may answer, and how abuse is met: signed links, invitation codes, closed waves, CSRF,
the rate limit and the intake flags, all through the residents' form (JavaScript off)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session, select

import api.web.csrf
from api.web import ratelimit
from api.web.csrf import check_csrf
from survey.questionnaire import paging
from survey.questionnaire.model import load_default
from survey.storage.access import create_invitations, format_code
from survey.storage.db import session_scope
from survey.storage.models import Community, Draft, Invitation, Wave
from tests.support.factories import complete_answers
from tests.support.survey_form import (
    count,
    draft_of,
    fill_until,
    open_path,
    post_page,
    read,
    responses,
)

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# The only routes that take state-changing requests without a CSRF token: the JSON API, which
# authenticates with nothing a browser sends by itself (no cookies; bearer tokens only).
CSRF_EXEMPT_PREFIXES = ("/api/v1/",)


def engine_of(client: TestClient) -> Any:
    return client.app.state.engine  # type: ignore[attr-defined]


def set_wave(client: TestClient, **fields: Any) -> None:
    with session_scope(engine_of(client)) as session:
        wave = session.exec(select(Wave).where(Wave.code == "W1")).one()
        for name, value in fields.items():
            setattr(wave, name, value)
        session.add(wave)


def make_codes(
    client: TestClient, community: str = "C1", n: int = 2, wave: str = "W1"
) -> list[str]:
    with session_scope(engine_of(client)) as session:
        w = session.exec(select(Wave).where(Wave.code == wave)).one()
        c = session.exec(select(Community).where(Community.code == community)).one()
        return create_invitations(session=session, wave=w, community=c, count=n)


def test_a_tampered_link_gets_a_clear_refusal_and_stores_nothing(client: TestClient) -> None:
    path = open_path()
    token = path.removeprefix("/s/")
    payload, signature = token.split(".")
    forged_payload = open_path(community="C2").removeprefix("/s/").split(".")[0]
    for bad in (
        f"{forged_payload}.{signature}",
        f"{payload}.{signature[:-2]}xx",
        "nonsense",
        open_path(secret="another-secret").removeprefix("/s/"),
    ):
        page = client.get(f"/s/{bad}")
        assert page.status_code == 400 and "链接无效" in page.text
        assert client.post(f"/s/{bad}", data={"page": "0"}).status_code == 400
    assert count(engine_of(client)) == 0 and count(engine_of(client), Draft) == 0


def test_a_sheet_started_for_one_community_cannot_be_sent_to_another(client: TestClient) -> None:
    answers = complete_answers()
    form = fill_until(client, open_path(community="C1"), answers, pages=2)
    other = read(client.get(open_path(community="C2")))
    hijack = client.post(other.action, data={**form.hidden, **{"D2.1": "5", "action": "next"}})
    assert hijack.status_code == 403 and "另一个链接" in hijack.text
    draft = draft_of(engine_of(client), form.client_id)
    assert draft is not None and draft.answers.get("D2.1") != 5
    with Session(engine_of(client)) as session:
        c1 = session.exec(select(Community).where(Community.code == "C1")).one()
    assert draft.community_id == c1.id


def test_invitation_codes_open_the_form_once(client: TestClient) -> None:
    set_wave(client, access_mode="invitation")
    first, second = make_codes(client, "C1", 2)
    entry = client.get(open_path())  # the poster link of an invitation wave asks for a code
    assert entry.status_code == 200 and 'name="code"' in entry.text
    assert 'id="survey-form"' not in entry.text
    assert client.post(open_path(), data={"page": "0"}).status_code == 403
    messy = first.lower()[:6] + " " + first.lower()[6:]
    assert client.get(f"/i?code={messy}", follow_redirects=False).headers["location"] == (
        f"/i/{format_code(first)}"
    )
    done = fill_until(client, f"/i/{format_code(first)}", complete_answers())
    assert "提交成功" in done.html
    client.cookies.clear()  # someone else with the same slip
    used = client.get(f"/i/{format_code(first)}")
    assert used.status_code == 409 and "已经使用" in used.text
    with Session(engine_of(client)) as session:
        rows = {i.token_hash: i for i in session.exec(select(Invitation)).all()}
    [row] = responses(engine_of(client))
    assert [i.response_id for i in rows.values() if i.used_at] == [row.id]
    assert "提交成功" not in client.get(f"/i/{format_code(second)}").text  # unused: a new form


def test_codes_are_refused_for_another_community_or_wave(client: TestClient) -> None:
    set_wave(client, access_mode="invitation")
    with session_scope(engine_of(client)) as session:
        w1 = session.exec(select(Wave).where(Wave.code == "W1")).one()
        session.add(Wave(code="W2", questionnaire_id=w1.questionnaire_id, access_mode="invitation"))
    [c2_code] = make_codes(client, "C2", 1)
    [w2_code] = make_codes(client, "C1", 1, wave="W2")
    other_community = client.get(open_path(community="C1") + f"?code={c2_code}")
    assert other_community.status_code == 403 and "另一个社区" in other_community.text
    other_wave = client.get(open_path(community="C1") + f"?code={w2_code}")
    assert other_wave.status_code == 403 and "另一轮调查" in other_wave.text
    assert client.get("/i/ABCD-EFGH-JKLM-NPQR").status_code == 404
    assert client.get("/i/short").status_code == 400
    assert client.get("/i?code=O0O0").status_code == 400
    assert count(engine_of(client)) == 0


def test_a_closed_wave_leads_to_the_results_and_an_unopened_one_refuses(client: TestClient) -> None:
    form = fill_until(client, open_path(), complete_answers(), pages=1)
    set_wave(client, status="closed")
    # After the close, the poster's link leads to the community's public results.
    moved = client.get(open_path(), follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/p/W1/C1"
    assert "本轮调查已结束" in client.get(open_path()).text  # not scored yet, the page says
    refused = post_page(client, form, complete_answers())
    assert refused.status == 409 and "本轮调查已结束" in refused.html
    set_wave(client, status="open", closes_at=datetime.now(UTC) - timedelta(minutes=1))
    assert client.get(open_path(), follow_redirects=False).status_code == 303
    set_wave(client, closes_at=None, opens_at=datetime.now(UTC) + timedelta(days=1))
    page = client.get(open_path())
    assert page.status_code == 409 and "尚未开始" in page.text
    assert count(engine_of(client)) == 0


def _protected(route: APIRoute) -> bool:
    def calls(dependant: Any) -> set[Any]:
        found = {dependant.call}
        for sub in dependant.dependencies:
            found |= calls(sub)
        return found

    return getattr(route.endpoint, "checks_csrf", False) or check_csrf in calls(route.dependant)


def test_every_state_changing_form_route_checks_csrf_and_the_exempt_list_is_pinned(
    client: TestClient,
) -> None:
    routes = [
        (str(ctx.path), ctx.original_route)
        for ctx in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        if isinstance(ctx.original_route, APIRoute) and (ctx.methods or set()) & STATE_CHANGING
    ]
    unprotected = sorted(path for path, route in routes if not _protected(route))
    assert [p for p in unprotected if not p.startswith(CSRF_EXEMPT_PREFIXES)] == []
    assert "/api/v1/responses" in unprotected  # the JSON API really is exempt
    residents = {"/s/{token}", "/s/{token}/draft", "/i/{code}", "/i/{code}/draft"}
    assert residents <= {path for path, route in routes if _protected(route)}


def test_a_post_without_token_is_refused_with_answers_kept(client: TestClient) -> None:
    form = read(client.get(open_path()))
    answers = {"age_18_plus": "yes", "age_band": "60-69"}
    no_token = {k: v for k, v in form.hidden.items() if k != "csrf_token"}
    refused = read(client.post(form.action, data={**no_token, **answers, "action": "next"}))
    assert refused.status == 403 and "请确认后再次提交" in refused.html
    assert refused.checked == {"age_18_plus": ["yes"], "age_band": ["60-69"]}
    assert draft_of(engine_of(client), form.client_id) is None  # refused: nothing stored
    assert refused.hidden["started"] == form.hidden["started"]  # still the first serving
    confirmed = post_page(client, refused, answers)  # the fresh token works
    assert confirmed.status == 200 and confirmed.page == 1
    draft = draft_of(engine_of(client), form.client_id)
    assert draft is not None and "restarted" not in draft.flags
    autosave = client.post(f"{form.action}/draft", data=no_token)
    assert autosave.status_code == 403


def test_an_expired_token_or_lost_cookie_keeps_the_answers(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = read(client.get(open_path()))
    answers = {"age_18_plus": "yes", "age_band": "30-44"}
    monkeypatch.setattr(api.web.csrf, "CSRF_MAX_AGE_S", -1)  # every token is now too old
    stale = post_page(client, form, answers)
    assert stale.status == 403 and stale.checked["age_band"] == ["30-44"]
    monkeypatch.undo()
    client.cookies.delete("meihao_csrf")  # the session cookie expired meanwhile
    lost = post_page(client, form, answers)
    assert lost.status == 403 and lost.checked["age_band"] == ["30-44"]
    assert post_page(client, lost, answers).page == 1


def test_autosave_stores_valid_answers_and_names_the_rest(client: TestClient) -> None:
    form = fill_until(client, open_path(), complete_answers(), pages=1)
    saved = client.post(
        f"{form.action}/draft", data={**form.hidden, "D1.1": "4", "D1.2": "12", "D1.3": "9"}
    )
    assert saved.status_code == 200 and saved.json()["not_saved"] == ["D1.2"]
    draft = draft_of(engine_of(client), form.client_id)
    assert draft is not None and (draft.answers["D1.1"], draft.answers["D1.3"]) == (4, 9)
    c2 = read(client.get(open_path(community="C2")))
    assert client.post(f"{c2.action}/draft", data=form.hidden).status_code == 403


def test_floods_get_429_with_retry_after_and_lose_nothing(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1200.0]  # the start of a one-minute window
    monkeypatch.setattr(ratelimit, "CLOCK", lambda: now[0])
    client.app.state.settings.submit_rate_per_minute = 1  # type: ignore[attr-defined]
    answers = complete_answers()
    assert "提交成功" in fill_until(client, open_path(), answers).html
    client.cookies.clear()
    limited = fill_until(client, open_path(), complete_answers(likert=3))
    assert limited.status == 429 and "秒后再点一次" in limited.html
    assert limited.checked  # the last page comes back filled in
    assert count(engine_of(client)) == 1
    now[0] += 120  # two windows on, the flood has aged out of the sliding estimate
    again = post_page(client, limited, complete_answers(likert=3), "submit")
    assert "提交成功" in again.html and count(engine_of(client)) == 2


def test_the_limit_answers_429_with_a_retry_after_header(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "CLOCK", lambda: 1200.0)
    client.app.state.settings.page_rate_per_minute = 3  # type: ignore[attr-defined]
    for _ in range(3):
        assert client.get(open_path()).status_code == 200
    refused = client.get(open_path())
    assert (
        refused.status_code == 429 and int(refused.headers["retry-after"]) == 90
    )  # 1 + 4 × (1 - ½) ≤ 3
    assert "请在 90 秒后再试" in refused.text  # the residents' page, in Chinese


def test_bots_and_repeats_are_flagged_and_stored(client: TestClient) -> None:
    answers = complete_answers()
    q = load_default()
    form = read(client.get(open_path()))
    form = post_page(client, form, answers, website="http://spam.example")
    while "提交成功" not in form.html:
        last = paging.next_page(q, form.page, answers) is None
        form = post_page(client, form, answers, "submit" if last else "next")
    client.cookies.clear()
    assert "提交成功" in fill_until(client, open_path(), answers).html  # the same sheet again
    first, second = responses(engine_of(client))
    assert "honeypot" in first.quality_flags and "near_duplicate" not in first.quality_flags
    assert "near_duplicate" in second.quality_flags and "honeypot" not in second.quality_flags
    assert "speeder" in first.quality_flags  # filled in well under a second
