"""The action-plan API and pages: CRUD within scope, audit, refusals that change nothing, export."""

from __future__ import annotations

import io
import re
import secrets
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, col, func, select

from api.schemas.actions import ActionDetail, ActionList
from api.settings import Settings
from api.web.csrf import CSRF_COOKIE, signed_token
from survey.storage.models import Action, ActionNote, AuditEvent
from tests.support.staff import bearer, engine_of, seed_staff, session_cookie

NEW = {
    "scope_level": "community",
    "scope_code": "C1",
    "title": "增设非机动车停车棚",
    "codes": ["D1a", "D1"],
    "owner": "一号社区居委会",
    "start_date": "2026-03-01",
    "due_date": "2026-06-30",
    "budget": 45000,
}


@pytest.fixture
def api(client: TestClient) -> dict[str, dict[str, str]]:
    seed_staff(engine_of(client))
    engine = engine_of(client)
    return {
        name: bearer(engine, name)
        for name in ("admin", "researcher", "district", "street", "other_street", "community")
    }


def counts(client: TestClient) -> tuple[int, int, int]:
    with Session(engine_of(client)) as session:
        actions = session.exec(select(func.count()).select_from(Action)).one()
        notes = session.exec(select(func.count()).select_from(ActionNote)).one()
        events = session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(col(AuditEvent.action).startswith("action."))
        ).one()
    return int(actions), int(notes), int(events)


def create(client: TestClient, headers: dict[str, str], **changes: Any) -> Any:
    return client.post("/api/v1/actions", json={**NEW, **changes}, headers=headers)


def test_create_read_update_note_and_audit(
    client: TestClient, api: dict[str, dict[str, str]]
) -> None:
    made = create(client, api["street"])
    assert made.status_code == 201, made.text
    body = ActionDetail.model_validate(made.json())
    assert (body.status, body.scope_name, body.street, body.created_by) == (
        "planned",
        "一号社区",
        "S1",
        "street",
    )
    assert [label["zh"] for label in body.code_labels][
        1
    ] != "D1"  # the dimension's name, not its code
    assert body.effect is None and [n.status_after for n in body.notes] == ["planned"]

    got = client.get(f"/api/v1/actions/{body.id}", headers=api["community"])
    assert got.status_code == 200 and got.json()["title"] == NEW["title"]

    changed = client.patch(
        f"/api/v1/actions/{body.id}",
        json={"owner": "街道城管科", "budget": None},
        headers=api["community"],
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["owner"] == "街道城管科" and changed.json()["budget"] is None
    # Refused changes name the field and change nothing (no audit event either).
    for bad, status in (
        ({"wave_code": "W9"}, 400),
        ({"codes": ["nope"]}, 400),
        ({"title": None}, 422),
        ({"due_date": "2026-01-01"}, 400),  # before the start date
        ({"status": "done"}, 422),
    ):
        refused = client.patch(f"/api/v1/actions/{body.id}", json=bad, headers=api["community"])
        assert refused.status_code == status, (bad, refused.text)
    assert (
        client.get(f"/api/v1/actions/{body.id}", headers=api["community"]).json() == changed.json()
    )

    started = client.post(
        f"/api/v1/actions/{body.id}/notes",
        json={"note": "材料已采购", "status": "in_progress"},
        headers=api["district"],
    )
    done = client.post(
        f"/api/v1/actions/{body.id}/notes", json={"status": "done"}, headers=api["admin"]
    )
    assert started.status_code == done.status_code == 201
    final = ActionDetail.model_validate(done.json())
    assert final.status == "done" and final.completed_at is not None and not final.overdue
    assert [(n.status_after, n.author) for n in final.notes] == [
        ("planned", "street"),
        ("in_progress", "district"),
        ("done", "admin"),
    ]
    with Session(engine_of(client)) as session:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.target == f"action:{body.id}")
            .order_by(col(AuditEvent.id))
        ).all()
    assert [(e.action, e.actor) for e in events] == [
        ("action.create", "street"),
        ("action.update", "community"),
        ("action.note", "district"),
        ("action.note", "admin"),
    ]
    assert events[1].detail["changes"]["budget"] == {"from": 45000.0, "to": None}


def test_scope_decides_who_sees_and_changes_what(
    client: TestClient, api: dict[str, dict[str, str]]
) -> None:
    mine = create(client, api["street"]).json()["id"]
    theirs = create(client, api["other_street"], scope_code="C3").json()["id"]
    street_wide = create(client, api["street"], scope_level="street", scope_code="S1").json()["id"]
    before = counts(client)
    # Another street's community: 404 for reading, changing and creating, as if it did not exist.
    assert client.get(f"/api/v1/actions/{mine}", headers=api["other_street"]).status_code == 404
    assert (
        client.patch(
            f"/api/v1/actions/{mine}", json={"owner": "x"}, headers=api["other_street"]
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/actions/{mine}/notes", json={"note": "x"}, headers=api["other_street"]
        ).status_code
        == 404
    )
    assert create(client, api["other_street"]).status_code == 404
    assert create(client, api["community"], scope_code="C2").status_code == 404
    # A community official reads the street's action but may not change it; nor create one.
    assert client.get(f"/api/v1/actions/{street_wide}", headers=api["community"]).status_code == 200
    assert (
        client.patch(
            f"/api/v1/actions/{street_wide}", json={"owner": "x"}, headers=api["community"]
        ).status_code
        == 404
    )
    assert (
        create(client, api["community"], scope_level="street", scope_code="S1").status_code == 404
    )
    # Researchers read everything and change nothing.
    assert client.get(f"/api/v1/actions/{theirs}", headers=api["researcher"]).status_code == 200
    assert create(client, api["researcher"]).status_code == 403
    assert (
        client.patch(
            f"/api/v1/actions/{mine}", json={"owner": "x"}, headers=api["researcher"]
        ).status_code
        == 403
    )
    assert counts(client) == before

    # Lists are filtered to the scope.
    def ids(who: str, q: str = "") -> list[int]:
        reply = client.get(f"/api/v1/actions{q}", headers=api[who])
        return [a["id"] for a in reply.json()["actions"]]

    assert ids("street") == [mine, street_wide]
    assert ids("other_street") == [theirs]
    assert ids("community") == [mine, street_wide]
    assert ids("district") == [mine, theirs, street_wide]
    assert ids("other_street", "?scope=C1") == []
    assert ids("district", "?scope=C3") == [theirs]
    body = ActionList.model_validate(client.get("/api/v1/actions", headers=api["admin"]).json())
    assert body.summary["by_status"]["planned"] == 3 and body.count == 3


@pytest.mark.parametrize(
    ("changes", "status", "words"),
    [
        ({"codes": ["D9.9"]}, 400, "D9.9"),
        ({"codes": []}, 422, "codes"),
        ({"title": ""}, 422, "title"),
        ({"due_date": "2026-01-01"}, 400, "due_date is before start_date"),
        ({"due_date": "next week"}, 422, "due_date"),
        ({"budget": -5}, 422, "budget"),
        ({"scope_level": "district"}, 422, "scope_level"),
        ({"scope_code": "NOPE"}, 404, "NOPE"),
        ({"wave_code": "W9"}, 400, "W9"),
        ({"status": "done"}, 422, "status"),  # status moves only with a note
    ],
)
def test_bad_input_is_named_and_changes_nothing(
    client: TestClient,
    api: dict[str, dict[str, str]],
    changes: dict[str, Any],
    status: int,
    words: str,
) -> None:
    before = counts(client)
    refused = create(client, api["district"], **changes)
    assert refused.status_code == status, refused.text
    assert words in refused.text
    assert counts(client) == before


def test_transitions_are_checked_and_nothing_is_deleted(
    client: TestClient, api: dict[str, dict[str, str]]
) -> None:
    action_id = create(client, api["street"]).json()["id"]
    url = f"/api/v1/actions/{action_id}/notes"
    assert client.post(url, json={}, headers=api["street"]).status_code == 400
    assert client.post(url, json={"status": "finished"}, headers=api["street"]).status_code == 422
    assert (
        client.post(url, json={"status": "cancelled"}, headers=api["street"]).status_code == 400
    )  # why?
    cancelled = client.post(
        url, json={"status": "cancelled", "note": "并入街道统一改造"}, headers=api["street"]
    )
    assert cancelled.status_code == 201 and cancelled.json()["status"] == "cancelled"
    before = counts(client)
    again = client.post(url, json={"status": "in_progress", "note": "重启"}, headers=api["street"])
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    assert (
        client.patch(
            f"/api/v1/actions/{action_id}", json={"title": "新"}, headers=api["street"]
        ).status_code
        == 409
    )
    assert client.delete(f"/api/v1/actions/{action_id}", headers=api["admin"]).status_code == 405
    assert counts(client) == before
    assert (
        client.get(f"/api/v1/actions/{action_id}", headers=api["street"]).json()["status"]
        == "cancelled"
    )


def test_overdue_filter(client: TestClient, api: dict[str, dict[str, str]]) -> None:
    past = (date.today() - timedelta(days=30)).isoformat()
    late = create(
        client,
        api["street"],
        start_date=past,
        due_date=(date.today() - timedelta(days=2)).isoformat(),
    ).json()
    soon = (date.today() + timedelta(days=20)).isoformat()
    create(client, api["street"], start_date=past, due_date=soon)  # not yet due
    assert late["overdue"] is True
    listed = client.get("/api/v1/actions?overdue=true", headers=api["street"]).json()
    assert [a["id"] for a in listed["actions"]] == [late["id"]] and listed["summary"][
        "overdue"
    ] == 1
    assert client.get("/api/v1/actions?status=late", headers=api["street"]).status_code == 422


def test_export_lists_every_action_of_the_scope_with_effect_columns(
    client: TestClient, api: dict[str, dict[str, str]]
) -> None:
    first = create(client, api["street"], title='=HYPERLINK("http://x")').json()["id"]
    create(client, api["other_street"], scope_code="C3")
    client.post(
        f"/api/v1/actions/{first}/notes",
        json={"note": "开工", "status": "in_progress"},
        headers=api["street"],
    )
    reply = client.get("/api/v1/actions/export.xlsx", headers=api["street"])
    assert reply.status_code == 200
    book = load_workbook(io.BytesIO(reply.content))
    actions, notes = book.worksheets
    header = [c.value for c in actions[1]]
    rows = [[c.value for c in row] for row in actions.iter_rows(min_row=2)]
    assert len(rows) == 1  # the other street's action is not in this street's export
    row = dict(zip(header, rows[0], strict=True))
    assert row["事项 title"] == '\'=HYPERLINK("http://x")'  # inert, not a formula
    assert row["状态 status"] == "进行中" and row["进展记录数 notes"] == 2
    assert row["效果估计 effect"] is None and "效果判断 effect label" in header
    assert [c.value for c in list(notes.iter_rows(min_row=2))[-1]][4] == "开工"


def csrf(client: TestClient, settings: Settings, who: str) -> dict[str, str]:
    nonce = secrets.token_urlsafe(32)
    client.cookies.clear()
    for name, value in {
        **session_cookie(engine_of(client), settings, who),
        CSRF_COOKIE: nonce,
    }.items():
        client.cookies.set(name, value)
    return {"csrf_token": signed_token(settings, nonce)}


def test_pages_create_note_and_refuse_with_the_reason(
    client: TestClient, settings: Settings
) -> None:
    seed_staff(engine_of(client))
    token = csrf(client, settings, "street")
    headers = {"Origin": "http://testserver"}
    prefilled = client.get("/actions?community=C1&code=D1a&wave=W1")
    assert prefilled.status_code == 200
    assert re.search(r'<option value="D1a" selected>', prefilled.text)
    assert 'name="scope_code" required maxlength="32" value="C1"' in prefilled.text
    form = {
        **token,
        "scope_code": "C1",
        "title": "楼道照明改造",
        "codes": ["D1a"],
        "due_date": "2026-05-01",
    }
    made = client.post("/actions", data=form, headers=headers, follow_redirects=False)
    assert made.status_code == 303
    detail_url = made.headers["location"]
    page = client.get(detail_url)
    assert "楼道照明改造" in page.text and "计划中" in page.text
    bad = client.post("/actions", data={**form, "due_date": "2026-13-01"}, headers=headers)
    assert bad.status_code == 400 and "is not a date" in bad.text and "楼道照明改造" in bad.text
    noted = client.post(
        f"{detail_url}/notes",
        data={**token, "note": "已完成招标", "status": "in_progress"},
        headers=headers,
        follow_redirects=False,
    )
    assert noted.status_code == 303
    assert "已完成招标" in client.get(detail_url).text
    wrong = client.post(
        f"{detail_url}/notes", data={**token, "status": "planned", "note": "x"}, headers=headers
    )
    assert wrong.status_code == 409 and "can move to" in wrong.text
    no_csrf = client.post(f"{detail_url}/notes", data={"note": "x"}, headers=headers)
    assert no_csrf.status_code == 403
    with Session(engine_of(client)) as session:
        assert [a.status for a in session.exec(select(Action)).all()] == ["in_progress"]
    csrf(client, settings, "other_street")
    assert client.get(detail_url).status_code == 404
    token = csrf(client, settings, "researcher")
    assert client.get(detail_url).status_code == 200
    assert 'method="post" action="/actions"' not in client.get("/actions").text  # readers
    assert (
        client.post(f"{detail_url}/notes", data={**token, "note": "x"}, headers=headers).status_code
        == 403
    )
