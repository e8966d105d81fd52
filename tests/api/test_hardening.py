"""The attack pass of issue 16: no 500 from any input, no cross-site state change, no probing.

Each test is a reproducer from that pass: it failed (500, a state change, a revealing status)
before the fix.
"""

from __future__ import annotations

import json
import time
from datetime import UTC
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlmodel import Session, select

from api.cli.main import main as meihao
from api.residents.form_limits import field_limit
from api.settings import Settings
from survey.questionnaire import paging
from survey.questionnaire.model import Questionnaire, load_default
from survey.storage.drafts import RESTARTED
from survey.storage.models import AuditEvent, Draft, Response, Wave, WeightModelRecord
from survey.storage.registry import store_questionnaire
from tests.support.factories import complete_answers, link_token
from tests.support.staff import bearer, engine_of, seed_staff, session_cookie
from tests.support.survey_form import count, draft_of, open_path, post_page, read

CLIENT_ID = "0b6c1c7e-5d0b-4c47-9a43-2f3d3b1f6a10"
FIXED = {"D1": 3, "D2": 1, "D3": 1, "D4": 1, "D5": 1, "D6": 3}


@pytest.fixture
def staff(client: TestClient) -> TestClient:
    seed_staff(engine_of(client))
    return client


def raw_post(client: TestClient, url: str, text: str, **headers: str) -> Any:
    """POST a JSON text as is (``json=`` would refuse to encode a lone surrogate)."""
    return client.post(
        url, content=text.encode(), headers={"content-type": "application/json", **headers}
    )


def responses_stored(client: TestClient) -> int:
    with Session(engine_of(client)) as session:
        return len(session.exec(select(Response)).all())


BASE = '{"wave":"W1","community":"C1","client_id":"' + CLIENT_ID + '","answers":{}}'


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (BASE.replace('"C1"', '"\\ud83d"'), "community"),
        (BASE.replace('"W1"', '"W\\udfff"'), "wave"),
        (BASE.replace(CLIENT_ID, "\\ud800abc"), "client_id"),
        (BASE.replace('"answers":{}', '"answers":{"\\ud83d":1}'), "answers"),
        (BASE.replace('"answers":{}', '"answers":{"O2":"hi \\udc00"}'), "O2"),
        (BASE.replace('"answers":{}', '"answers":{},"extra":"\\ud800"'), "extra"),
    ],
)
def test_lone_surrogates_get_a_422_naming_the_field(
    client: TestClient, body: str, field: str
) -> None:
    response = raw_post(client, "/api/v1/responses", body)
    assert response.status_code == 422, response.text
    problem = response.json()["detail"][0]
    assert field in json.dumps(problem["loc"]) + problem["msg"]
    assert "surrogate" in problem["msg"]
    assert responses_stored(client) == 0


@pytest.mark.parametrize(
    "body",
    [
        '{"username":"\\ud800","password":"x"}',
        '{"username":"admin","password":"\\udbff\\udfff\\ud800"}',
        '{"username":"admin","password":"x","name":"\\udc00"}',
    ],
)
def test_anonymous_token_requests_with_surrogates_get_422(staff: TestClient, body: str) -> None:
    response = raw_post(staff, "/api/v1/tokens", body)
    assert response.status_code == 422 and "surrogate" in response.text


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (BASE.replace('"answers":{}', '"answers":{"D1.1":NaN}'), "NaN"),
        (BASE.replace('"answers":{}', '"answers":{"D1.1":-Infinity}'), "Infinity"),
        ('{"answers":' + "[" * 5000 + "]" * 5000 + "}", "nested"),
        ('{"answers":' + '{"a":' * 40 + "1" + "}" * 40 + "}", "nested"),
        ('{"wave":"\xff"}', "UTF-8"),
    ],
)
def test_not_json_numbers_deep_nesting_and_bad_bytes_get_422(
    client: TestClient, body: str, why: str
) -> None:
    data = body.encode("latin-1") if "\xff" in body else body.encode()
    response = client.post(
        "/api/v1/responses", content=data, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422 and why in response.text


def test_a_form_post_that_is_not_utf8_gets_422_naming_the_field(staff: TestClient) -> None:
    response = staff.post(
        "/login",
        content=b"username=%ED%A0%80&password=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 422 and "username" in response.text


def test_a_surrogate_weight_model_is_refused_and_nothing_is_stored(staff: TestClient) -> None:
    engine = engine_of(staff)
    headers = bearer(engine, "researcher")
    model = {"name": "team-x", "description": "\\ud800", "dimension_weights": FIXED}
    text = json.dumps({"model": model}).replace("\\\\ud800", "\\ud800")
    response = raw_post(staff, "/api/v1/weight-models", text, **headers)
    assert response.status_code == 422 and "description" in response.text
    with Session(engine) as session:
        assert (
            session.exec(
                select(WeightModelRecord).where(WeightModelRecord.name == "team-x")
            ).first()
            is None
        )
    assert staff.get("/api/v1/weight-models", headers=headers).status_code == 200


def test_a_stored_surrogate_no_longer_breaks_the_list_and_repair_text_fixes_it(
    staff: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_of(staff)
    headers = bearer(engine, "researcher")
    good = {"name": "team-x", "description": "ok", "dimension_weights": FIXED}
    assert (
        staff.post("/api/v1/weight-models", json={"model": good}, headers=headers).status_code
        == 201
    )
    with Session(engine) as session:  # as stored before the edge refused such text
        row = session.exec(
            select(WeightModelRecord).where(WeightModelRecord.name == "team-x")
        ).one()
        row.definition = {**row.definition, "description": "bad \ud800 text"}
        session.add(row)
        session.commit()
    listed = staff.get("/api/v1/weight-models", headers=headers)
    assert listed.status_code == 200
    shown = next(m for m in listed.json() if m["name"] == "team-x")
    assert shown["description"] == "bad \ufffd text"

    monkeypatch.setenv("MEIHAO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MEIHAO_SECRET_KEY", settings.secret_key)
    from api.settings import get_settings

    get_settings.cache_clear()
    try:
        assert meihao(["repair-text", "--dry-run"]) == 0
        assert meihao(["repair-text"]) == 0
    finally:
        get_settings.cache_clear()
    with Session(engine) as session:
        row = session.exec(
            select(WeightModelRecord).where(WeightModelRecord.name == "team-x")
        ).one()
        assert row.definition["description"] == "bad \ufffd text"
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "repair_text")).all()
    assert len(events) == 1
    assert events[0].detail["rows"] == {f"{WeightModelRecord.__tablename__}.definition": 1}


# -- cross-site requests --------------------------------------------------------------------


def wave_status(client: TestClient) -> str:
    with Session(engine_of(client)) as session:
        return session.exec(select(Wave).where(Wave.code == "W1")).one().status


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://testserver"},
        {"content-type": "text/plain"},  # no Origin at all, and no CSRF token
        {"X-CSRF-Token": "forged"},
    ],
)
def test_a_cookie_session_cannot_change_state_cross_site(
    staff: TestClient, settings: Settings, headers: dict[str, str]
) -> None:
    cookies = session_cookie(engine_of(staff), settings, "admin")
    browser = TestClient(staff.app, cookies=cookies)
    response = browser.post("/api/v1/waves/W1/close", headers=headers)
    assert response.status_code == 403 and "cross-site" in response.text
    assert wave_status(staff) == "open"


def test_same_origin_and_bearer_calls_still_change_state(
    staff: TestClient, settings: Settings
) -> None:
    cookies = session_cookie(engine_of(staff), settings, "admin")
    browser = TestClient(staff.app, cookies=cookies)
    assert (
        browser.post(
            "/api/v1/waves/NOPE/close", headers={"Origin": "http://testserver"}
        ).status_code
        == 404
    )
    assert (
        browser.post(
            "/api/v1/waves/NOPE/close", headers={"Sec-Fetch-Site": "same-origin"}
        ).status_code
        == 404
    )
    script = TestClient(staff.app, cookies=cookies)  # a bearer token is judged alone
    token = bearer(engine_of(staff), "admin")
    retire = script.post(
        "/api/v1/weight-models/nope/1/retire", headers={**token, "Origin": "https://x.example"}
    )
    assert retire.status_code == 404, retire.text  # the route ran: not the 403 above


# -- smaller defects ------------------------------------------------------------------------


def test_a_chunked_oversized_body_gets_413(client: TestClient, settings: Settings) -> None:
    def chunks() -> Any:
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b" " * 1024

    response = client.post(
        "/api/v1/responses", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_thousands_of_unknown_answer_keys_get_a_short_reply(client: TestClient) -> None:
    answers = {f"k{i}": 1 for i in range(10_000)}
    body = {"link": link_token(), "client_id": CLIENT_ID, "answers": answers}
    response = client.post("/api/v1/responses", json=body)
    assert response.status_code == 422
    assert len(response.content) < 20_000
    reply = response.json()
    assert reply["problem_count"] >= 10_000 and len(reply["detail"]) == 51
    assert "more problems" in reply["detail"][-1]["msg"]


@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/ping", "/nope"])
def test_every_page_forbids_framing(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_the_openapi_example_submission_is_accepted(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ResponseCreate"]
    example = {**schema["examples"][0], "link": link_token()}  # a real link of the seeded C1
    response = client.post("/api/v1/responses", json=example)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("started_at", ["0001-01-01T00:00:00Z", "2999-01-01T00:00:00+08:00"])
def test_implausible_start_times_are_refused(client: TestClient, started_at: str) -> None:
    body = {**json.loads(BASE), "started_at": started_at}
    response = client.post("/api/v1/responses", json=body)
    assert response.status_code == 422 and "started_at" in response.text
    assert responses_stored(client) == 0


# -- a draft only on the first save ---------------------------------------------------------


def test_opening_a_poster_link_stores_no_draft_until_the_first_save(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_of(client)
    path = open_path()
    for _ in range(5):  # link previews, QR scanners and bots, each without cookies
        assert TestClient(client.app).get(path).status_code == 200
    served_earlier = time.time() - 600
    with monkeypatch.context() as patched:  # the resident's page was served ten minutes ago
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: int(served_earlier))
        form = read(client.get(path))
    assert read(client.get(path)).client_id == form.client_id  # the same form, remembered
    assert count(engine, Draft) == 0

    saved = post_page(client, form, {"age_18_plus": "yes", "age_band": "30-44"})
    assert saved.status == 200 and saved.page == 1
    draft = draft_of(engine, form.client_id)
    assert draft is not None and count(engine, Draft) == 1
    assert abs(draft.started_at.replace(tzinfo=UTC).timestamp() - served_earlier) < 2
    assert RESTARTED not in draft.flags


def test_a_first_save_with_a_forged_or_foreign_start_counts_as_a_restart(
    client: TestClient,
) -> None:
    engine = engine_of(client)
    mine, other = read(client.get(open_path())), read(TestClient(client.app).get(open_path()))
    for stamp, client_id in (("forged", mine.client_id), (other.hidden["started"], None)):
        form = read(client.get(f"{open_path()}?new=1"))
        assert form.hidden["started"]
        data = {**form.hidden, "started": stamp, "age_18_plus": "yes", "action": "next"}
        data["age_band"] = "30-44"
        if client_id is not None:
            data = {**data, "client_id": client_id}
        assert client.post(form.action, data=data).status_code in (200, 303)
        draft = draft_of(engine, data["client_id"])
        assert draft is not None and RESTARTED in draft.flags


def test_autosave_makes_the_draft_from_the_served_form(client: TestClient) -> None:
    engine = engine_of(client)
    form = read(client.get(open_path()))
    saved = client.post(f"{form.action}/draft", data={**form.hidden, "age_band": "30-44"})
    assert saved.status_code == 200 and saved.json()["saved"] is True
    draft = draft_of(engine, form.client_id)
    assert draft is not None and draft.answers == {"age_band": "30-44"}
    assert RESTARTED not in draft.flags


# -- form posts bigger than Starlette's 1,000 fields ----------------------------------------

MANY = 1_200  # check boxes on one page: more than Starlette's default of 1,000 form fields


def use_big_questionnaire(client: TestClient) -> Questionnaire:
    """Wave W1 on the default questionnaire plus, on page 0, a multiple choice of MANY options."""
    definition = load_default().to_dict()
    definition["slug"] = "big"
    options = [{"value": f"o{i}", "label": {"zh": f"选{i}", "en": f"o{i}"}} for i in range(MANY)]
    items = definition["items"]
    last_of_intro = max(i for i, item in enumerate(items) if item["section"] == "intro")
    items.insert(
        last_of_intro + 1,
        {"code": "many", "kind": "multi_choice", "section": "intro", "required": False,
         "label": {"zh": "很多选项", "en": "many options"}, "options": options},
    )  # fmt: skip
    q = Questionnaire.model_validate(definition)
    with Session(engine_of(client)) as session:
        record = store_questionnaire(session=session, questionnaire=q)
        wave = session.exec(select(Wave).where(Wave.code == "W1")).one()
        wave.questionnaire_id = record.id  # type: ignore[assignment]
        session.add(wave)
        session.commit()
    return q


def test_a_page_with_more_than_a_thousand_fields_keeps_every_answer(client: TestClient) -> None:
    q = use_big_questionnaire(client)
    form = read(client.get(open_path()))
    assert "many" in paging.page_codes(q, 0) and form.html.count('name="many"') == MANY
    ticked = [f"o{i}" for i in range(MANY)]
    saved = post_page(client, form, {**complete_answers(q), "many": ticked}, q=q)
    assert saved.status == 200 and saved.page == 1, saved.html[:300]
    draft = draft_of(engine_of(client), form.client_id)
    assert draft is not None and draft.answers["many"] == ticked
    assert set(paging.page_codes(q, 0)) <= draft.answers.keys()


def test_a_form_post_beyond_the_questionnaires_size_gets_413_with_the_answers_kept(
    client: TestClient,
) -> None:
    q = use_big_questionnaire(client)
    form = read(client.get(open_path()))
    answers = [("age_18_plus", "yes"), ("age_band", "30-44"), ("many", "o7")]
    junk = [(f"x{i}", "1") for i in range(field_limit(q) + 1)]
    body = urlencode([*form.hidden.items(), *answers, *junk]).encode()
    urlencoded = {"content-type": "application/x-www-form-urlencoded"}
    refused = read(client.post(form.action, content=body, headers=urlencoded))
    assert refused.status == 413 and "本页未能读取" in refused.html
    assert refused.checked["age_band"] == ["30-44"] and refused.checked["many"] == ["o7"]
    assert refused.hidden["started"] == form.hidden["started"]
    junk_first = urlencode([*junk, *form.hidden.items()]).encode()  # no client id in reach
    unread = client.post(form.action, content=junk_first, headers=urlencoded)
    assert unread.status_code == 413 and "字段数超过" in unread.text
    autosave = client.post(f"{form.action}/draft", content=body, headers=urlencoded)
    assert autosave.status_code == 413 and "form fields" in autosave.json()["detail"]
    assert count(engine_of(client), Draft) == 0
    assert post_page(client, refused, {"age_18_plus": "yes", "age_band": "30-44"}).page == 1
