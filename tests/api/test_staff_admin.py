"""The staff administration pages: accounts, passwords, tokens and the audit log.

Every action is checked for what it changes, for the 4xx it gives on bad input (with nothing
changed), for the CSRF token and for non-admins; a disabled account's session and tokens stop
working on the very next request, even though the credential cache had just remembered them.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

import survey.storage.users as users
from api.settings import Settings
from survey.storage.models import ApiToken, AuditEvent, StaffSession, User, utcnow
from survey.storage.users import authenticate
from tests.support.staff import FAST_HASHER, PASSWORD, bearer, engine_of, seed_staff, session_cookie


@pytest.fixture
def admin(client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    # Cheap argon2 parameters: the pages hash passwords many times here (the parameters
    # themselves are tested in tests/survey/test_users.py).
    monkeypatch.setattr(users, "_hasher", FAST_HASHER)
    seed_staff(engine_of(client))
    client.cookies.update(session_cookie(engine_of(client), settings, "admin"))
    return client


def _csrf(client: TestClient) -> str:
    page = client.get("/admin/staff")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def _secret(page: Any) -> str:
    found = re.search(r'id="secret-value" readonly value="([^"]+)"', page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


def _user(client: TestClient, username: str) -> User | None:
    with Session(engine_of(client)) as session:
        return session.exec(select(User).where(User.username == username)).first()


def _count(client: TestClient, table: Any) -> int:
    with Session(engine_of(client)) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def _audited(client: TestClient, action: str) -> list[AuditEvent]:
    with Session(engine_of(client)) as session:
        query = select(AuditEvent).where(AuditEvent.action == action)
        return list(session.exec(query).all())


def test_the_list_shows_every_account_in_both_languages(admin: TestClient) -> None:
    zh = admin.get("/admin/staff")
    en = admin.get("/admin/staff?lang=en")
    assert zh.status_code == en.status_code == 200
    for name in ("admin", "researcher", "street", "community"):
        assert f'id="user-{name}"' in zh.text
    assert "工作人员" in zh.text and "新建账号" in zh.text and "街道 S1" in zh.text
    assert "New account" in en.text and "street S1" in en.text and "新建账号" not in en.text
    assert zh.headers["cache-control"] == "no-store"


def test_create_an_account_with_a_scope_and_a_generated_password(admin: TestClient) -> None:
    token = _csrf(admin)
    made = admin.post(
        "/admin/staff",
        data={
            "csrf_token": token,
            "username": "wang",
            "role": "official",
            "scope_level": "street",
            "scope_code": "S1",
        },
    )
    assert made.status_code == 201
    password = _secret(made)
    assert len(password) >= 10 and "不会再显示" in made.text
    user = _user(admin, "wang")
    assert user is not None and (user.role, user.scope_level, user.scope_code) == (
        "official",
        "street",
        "S1",
    )
    assert password not in user.password_hash
    with Session(engine_of(admin)) as session:
        assert authenticate(session=session, username="wang", password=password) is not None
    assert [e.actor for e in _audited(admin, "create_user") if e.target == "wang"] == ["admin"]
    assert password not in admin.get("/admin/staff").text  # shown once, on the POST's answer

    chosen = admin.post(
        "/admin/staff",
        data={"csrf_token": token, "username": "li", "role": "researcher", "password": PASSWORD},
    )
    assert chosen.status_code == 201 and 'id="secret-value"' not in chosen.text
    with Session(engine_of(admin)) as session:
        assert authenticate(session=session, username="li", password=PASSWORD) is not None


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"username": "x1", "role": "wizard"}, 422, "role must be one of"),
        ({"username": "x2", "role": "official", "scope_level": "street"}, 422, "needs the street"),
        (
            {"username": "x3", "role": "official", "scope_level": "street", "scope_code": "S9"},
            422,
            "no street with code 'S9'",
        ),
        (
            {"username": "x4", "role": "admin", "scope_level": "community", "scope_code": "C1"},
            422,
            "has the district scope",
        ),
        ({"username": "x5", "role": "admin", "scope_level": "planet"}, 422, "scope level"),
        ({"username": "x6", "role": "admin", "password": "short"}, 422, "at least 10"),
        ({"username": "   ", "role": "admin"}, 422, "username must be"),
        ({"username": "researcher", "role": "researcher"}, 409, "already exists"),
        ({"role": "admin"}, 422, "username"),  # the field is missing altogether
    ],
)
def test_a_bad_account_is_refused_and_nothing_changes(
    admin: TestClient, fields: dict[str, str], status: int, words: str
) -> None:
    token = _csrf(admin)
    users, audit = _count(admin, User), _count(admin, AuditEvent)
    refused = admin.post("/admin/staff", data={"csrf_token": token, **fields})
    assert refused.status_code == status
    assert words in html.unescape(refused.text)
    assert (_count(admin, User), _count(admin, AuditEvent)) == (users, audit)


def test_forms_need_the_csrf_token_and_an_admin(
    admin: TestClient, client: TestClient, settings: Settings
) -> None:
    token = _csrf(admin)
    posts = [
        ("/admin/staff", {"username": "eve", "role": "admin", "password": PASSWORD}),
        ("/admin/staff/researcher/disable", {}),
        ("/admin/staff/researcher/password", {}),
        ("/admin/staff/researcher/tokens", {"name": "x", "days": "5"}),
    ]
    for path, fields in posts:
        assert admin.post(path, data=fields).status_code == 403  # no CSRF token
    researcher = TestClient(
        client.app, cookies=session_cookie(engine_of(admin), settings, "researcher")
    )
    researcher.cookies.update({k: v for k, v in admin.cookies.items() if k == "meihao_csrf"})
    for path, fields in posts:
        assert researcher.post(path, data={"csrf_token": token, **fields}).status_code == 403
    assert researcher.get("/admin/staff").status_code == 403
    assert researcher.get("/admin/audit").status_code == 403
    user = _user(admin, "researcher")
    assert user is not None and user.active and _user(admin, "eve") is None
    assert _count(admin, ApiToken) == 0


def test_disabling_ends_the_session_and_the_tokens_at_once(
    admin: TestClient, client: TestClient, settings: Settings
) -> None:
    engine = engine_of(admin)
    cookie = session_cookie(engine, settings, "researcher")
    headers = bearer(engine, "researcher")
    browser = TestClient(client.app, cookies=cookie)
    # Both credentials work, and the credential cache now remembers them.
    assert browser.get("/api/v1/me").status_code == 200
    assert admin.get("/api/v1/me", headers=headers).json()["username"] == "researcher"

    token = _csrf(admin)
    done = admin.post("/admin/staff/researcher/disable", data={"csrf_token": token})
    assert done.status_code == 200 and "已停用" in done.text
    assert browser.get("/api/v1/me").status_code == 401
    assert browser.get("/waves/W1", follow_redirects=False).status_code == 303
    assert admin.get("/api/v1/me", headers=headers).status_code == 401
    with Session(engine) as session:
        tokens = session.exec(select(ApiToken)).all()
        assert tokens and all(t.revoked_at is not None for t in tokens)
        live = session.exec(select(StaffSession).where(StaffSession.revoked_at == None)).all()  # noqa: E711
        assert {s.user_id for s in live} == {_user(admin, "admin").id}  # type: ignore[union-attr]
        assert authenticate(session=session, username="researcher", password=PASSWORD) is None
    [event] = _audited(admin, "disable_user")
    assert (event.actor, event.target) == ("admin", "researcher")
    assert event.detail == {"sessions_ended": 1, "tokens_revoked": 1}

    # Enabling brings the account back, not its old credentials.
    assert (
        admin.post("/admin/staff/researcher/enable", data={"csrf_token": token}).status_code == 200
    )
    assert _user(admin, "researcher").active  # type: ignore[union-attr]
    assert browser.get("/api/v1/me").status_code == 401
    assert admin.get("/api/v1/me", headers=headers).status_code == 401
    with Session(engine) as session:
        assert authenticate(session=session, username="researcher", password=PASSWORD) is not None
    assert len(_audited(admin, "enable_user")) == 1


def test_an_admin_cannot_lock_the_district_out(admin: TestClient) -> None:
    token = _csrf(admin)
    own = admin.post("/admin/staff/admin/disable", data={"csrf_token": token})
    assert own.status_code == 409 and "your own account" in own.text
    missing = admin.post("/admin/staff/nobody/disable", data={"csrf_token": token})
    assert missing.status_code == 404 and "no user 'nobody'" in html.unescape(missing.text)
    assert _user(admin, "admin").active  # type: ignore[union-attr]
    assert _audited(admin, "disable_user") == []


def test_the_last_active_admin_cannot_be_disabled(
    admin: TestClient, client: TestClient, settings: Settings
) -> None:
    token = _csrf(admin)
    second = admin.post(
        "/admin/staff",
        data={"csrf_token": token, "username": "admin2", "role": "admin", "password": PASSWORD},
    )
    assert second.status_code == 201
    other = TestClient(client.app, cookies=session_cookie(engine_of(admin), settings, "admin2"))
    other.cookies.update({k: v for k, v in admin.cookies.items() if k == "meihao_csrf"})
    assert other.post("/admin/staff/admin/disable", data={"csrf_token": token}).status_code == 200
    # admin2 is now the only active admin; the first admin's session ended with the account.
    refused = other.post("/admin/staff/admin2/disable", data={"csrf_token": token})
    assert refused.status_code == 409 and "your own account" in refused.text
    assert admin.get("/admin/staff", follow_redirects=False).status_code == 303


def test_a_password_reset_is_shown_once_and_ends_the_sessions(
    admin: TestClient, client: TestClient, settings: Settings
) -> None:
    browser = TestClient(client.app, cookies=session_cookie(engine_of(admin), settings, "street"))
    assert browser.get("/api/v1/me").status_code == 200
    reset = admin.post("/admin/staff/street/password", data={"csrf_token": _csrf(admin)})
    assert reset.status_code == 200
    password = _secret(reset)
    assert browser.get("/api/v1/me").status_code == 401
    with Session(engine_of(admin)) as session:
        assert authenticate(session=session, username="street", password=PASSWORD) is None
        assert authenticate(session=session, username="street", password=password) is not None
    [event] = _audited(admin, "set_password")
    assert (event.actor, event.target, event.detail) == ("admin", "street", {"sessions_ended": 1})
    assert password not in str(event.detail)
    missing = admin.post("/admin/staff/nobody/password", data={"csrf_token": _csrf(admin)})
    assert missing.status_code == 404


def test_tokens_are_issued_once_listed_and_revoked(admin: TestClient) -> None:
    token = _csrf(admin)
    issued = admin.post(
        "/admin/staff/researcher/tokens", data={"csrf_token": token, "name": "notebook", "days": 7}
    )
    assert issued.status_code == 201
    value = _secret(issued)
    headers = {"Authorization": f"Bearer {value}"}
    assert admin.get("/api/v1/me", headers=headers).json()["username"] == "researcher"
    with Session(engine_of(admin)) as session:
        row = session.exec(select(ApiToken)).one()
    assert row.name == "notebook" and row.expires_at is not None
    assert (
        timedelta(days=6)
        < row.expires_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None)
        <= timedelta(days=7)
    )
    [event] = _audited(admin, "issue_token")
    assert (event.actor, event.target) == ("admin", str(row.id))
    listed = admin.get("/admin/staff")
    assert f'id="token-{row.id}"' in listed.text and value not in listed.text

    revoked = admin.post(f"/admin/tokens/{row.id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 200 and f'id="token-{row.id}"' not in revoked.text
    assert admin.get("/api/v1/me", headers=headers).status_code == 401  # at once, despite the cache
    assert admin.post("/admin/tokens/999999/revoke", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize(
    ("path", "fields", "status"),
    [
        ("/admin/staff/researcher/tokens", {"days": "0"}, 422),
        ("/admin/staff/researcher/tokens", {"days": "366"}, 422),
        ("/admin/staff/researcher/tokens", {"days": "soon"}, 422),
        ("/admin/staff/researcher/tokens", {"name": "n" * 65}, 422),
        ("/admin/staff/nobody/tokens", {"days": "5"}, 404),
        ("/admin/tokens/abc/revoke", {}, 422),
    ],
)
def test_a_bad_token_request_is_refused_and_issues_nothing(
    admin: TestClient, path: str, fields: dict[str, str], status: int
) -> None:
    got = admin.post(path, data={"csrf_token": _csrf(admin), **fields})
    assert got.status_code == status
    assert _count(admin, ApiToken) == 0


def test_a_disabled_account_gets_no_token(admin: TestClient) -> None:
    token = _csrf(admin)
    assert (
        admin.post("/admin/staff/district/disable", data={"csrf_token": token}).status_code == 200
    )
    refused = admin.post("/admin/staff/district/tokens", data={"csrf_token": token})
    assert refused.status_code == 409 and "is disabled" in refused.text
    assert _count(admin, ApiToken) == 0


def test_the_audit_log_filters_by_actor_action_target_and_dates(admin: TestClient) -> None:
    token = _csrf(admin)
    for name in ("zhao", "qian"):
        admin.post(
            "/admin/staff",
            data={
                "csrf_token": token,
                "username": name,
                "role": "researcher",
                "password": PASSWORD,
            },
        )
    admin.post("/admin/staff/zhao/disable", data={"csrf_token": token})

    def rows(query: str) -> list[list[str]]:
        page = admin.get(f"/admin/audit?{query}")
        assert page.status_code == 200, page.text
        body = page.text.split('id="events"')[-1] if 'id="events"' in page.text else ""
        return [
            [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr><td>(.*?)</tr>", body, re.S)
            for tr in [f"<td>{tr}"]
        ]

    by_admin = rows("actor=admin")
    assert by_admin and all(r[1] == "admin" for r in by_admin)
    assert {r[2] for r in by_admin} == {"create_user", "disable_user"}
    assert [r[3] for r in rows("action=create_user&actor=admin")] == [
        "qian",
        "zhao",
    ]  # newest first
    assert [r[2] for r in rows("target=zhao")] == ["disable_user", "create_user"]
    assert rows("actor=system")  # the seeded accounts
    today = (utcnow() + timedelta(hours=8)).date()
    assert len(rows(f"since={today}&until={today}&actor=admin")) == 3
    assert rows(f"until={today - timedelta(days=1)}&actor=admin") == []
    assert rows(f"since={today + timedelta(days=1)}") == []
    assert "没有符合条件的记录" in admin.get("/admin/audit?actor=nobody").text

    for query, words in (
        ("since=yesterday", "is not a date"),
        (f"since={today}&until={today - timedelta(days=2)}", "is after until"),
    ):
        bad = admin.get(f"/admin/audit?{query}")
        assert bad.status_code == 422 and words in bad.text
    assert admin.get("/admin/audit?actor=" + "a" * 65).status_code == 422
    assert "Audit log" in admin.get("/admin/audit?lang=en").text
