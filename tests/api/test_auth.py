"""Staff sign-in, sessions, bearer tokens, roles, scopes and throttling."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Annotated, Any

import pytest
from fastapi import Depends, Request
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.settings import Settings
from api.web.auth import SESSION_COOKIE, CurrentUser, require_role
from survey.storage.models import StaffSession, User, utcnow
from survey.storage.users import set_password
from tests.support.staff import (
    PASSWORD,
    audit,
    bearer,
    engine_of,
    seed_staff,
    session_cookie,
    store_snapshot,
)


@pytest.fixture
def staff_client(client: TestClient) -> TestClient:
    seed_staff(engine_of(client))
    return client


def csrf_from(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the form has no CSRF field"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD, next_url: str = "/") -> Any:
    form = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "next": next_url,
            "csrf_token": csrf_from(form.text),
        },
        follow_redirects=False,
    )


def cookie_header(cookie: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookie.items())}


def test_login_sets_a_signed_httponly_session_and_redirects_to_next(
    staff_client: TestClient,
) -> None:
    page = staff_client.get("/login?next=/api/v1/me")
    assert page.status_code == 200
    assert "工作人员登录" in page.text and "Staff sign-in" in page.text
    assert 'name="next" value="/api/v1/me"' in page.text
    response = login(staff_client, "researcher", next_url="/api/v1/me")
    assert response.status_code == 303
    assert response.headers["location"] == "/api/v1/me"
    cookie = next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith(SESSION_COOKIE)
    )
    # a session cookie: it ends with the browser (the server ends it after 8 h in any case)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age" not in cookie
    me = staff_client.get("/api/v1/me")
    assert me.json() == {
        "username": "researcher",
        "role": "researcher",
        "scope_level": "district",
        "scope_code": "",
    }
    assert [e.actor for e in audit(staff_client, "login")] == ["researcher"]


def test_login_needs_the_csrf_token(staff_client: TestClient) -> None:
    response = staff_client.post(
        "/login", data={"username": "admin", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    forged = staff_client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert SESSION_COOKIE not in staff_client.cookies


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\\evil", "/login?next=/x"]
)
def test_next_never_leaves_the_site(staff_client: TestClient, target: str) -> None:
    response = login(staff_client, "admin", next_url=target)
    assert response.status_code == 303 and response.headers["location"] == "/start"


def test_wrong_password_shows_the_form_again(staff_client: TestClient) -> None:
    response = login(staff_client, "admin", password="wrong-password-1")
    assert response.status_code == 400
    assert "用户名或密码错误" in response.text
    assert SESSION_COOKIE not in staff_client.cookies
    assert staff_client.get("/api/v1/me").status_code == 401
    empty = login(staff_client, "", password="")
    assert empty.status_code == 400


def test_remember_me_makes_a_persistent_cookie(staff_client: TestClient) -> None:
    form = staff_client.get("/login")
    response = staff_client.post(
        "/login",
        data={
            "username": "admin",
            "password": PASSWORD,
            "remember": "1",
            "csrf_token": csrf_from(form.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(SESSION_COOKIE) and f"Max-Age={14 * 24 * 3600}" in cookie


def from_address(client: TestClient, address: str) -> TestClient:
    return TestClient(client.app, client=(address, 40000))


def test_failed_logins_are_throttled_per_address_and_account(staff_client: TestClient) -> None:
    attacker = from_address(staff_client, "203.0.113.9")
    for _ in range(10):
        assert login(attacker, "admin", password="wrong-password-1").status_code == 400
    blocked = login(attacker, "admin")  # from this address, even the right password waits
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 15 * 60 + 1
    assert "分钟后再试" in blocked.text
    api = attacker.post("/api/v1/tokens", json={"username": "admin", "password": PASSWORD})
    assert api.status_code == 429 and "retry-after" in api.headers
    # the stranger cannot lock the account: its owner, elsewhere, signs in at once
    owner = from_address(staff_client, "198.51.100.7")
    assert login(owner, "admin").status_code == 303
    assert login(attacker, "researcher").status_code == 303  # other accounts unaffected
    # one audit row for the burst of ten, with its count (not ten rows)
    failed = audit(staff_client, "login_failed")
    assert len(failed) == 1 and failed[0].detail["count"] == 10
    assert "203.0.113.9" not in str(failed[0].detail)


def test_an_address_spraying_usernames_is_stopped_cheaply(staff_client: TestClient) -> None:
    from api.web import login_throttle

    sprayer = from_address(staff_client, "203.0.113.50")
    for i in range(login_throttle.MAX_PER_ADDRESS):
        response = sprayer.post("/api/v1/tokens", json={"username": f"u{i}", "password": "x"})
        assert response.status_code == 401
    started = time.perf_counter()
    refused = sprayer.post("/api/v1/tokens", json={"username": "admin", "password": PASSWORD})
    assert refused.status_code == 429
    assert time.perf_counter() - started < 0.2  # no argon2 hash for a refused attempt
    assert len(audit(staff_client, "login_failed")) == login_throttle.MAX_PER_ADDRESS
    elsewhere = from_address(staff_client, "198.51.100.8")
    ok = elsewhere.post("/api/v1/tokens", json={"username": "admin", "password": PASSWORD})
    assert ok.status_code == 201


def test_unknown_usernames_cost_the_same_hash_as_known_ones(staff_client: TestClient) -> None:
    def timed(username: str) -> float:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            response = staff_client.post(
                "/api/v1/tokens", json={"username": username, "password": "wrong-password-1"}
            )
            best = min(best, time.perf_counter() - started)
            assert response.status_code == 401
        return best

    known, unknown = timed("admin"), timed("nobody-here")
    assert unknown > 0.5 * known  # both verify one argon2 hash (a dummy for unknown names)


def test_anonymous_api_gets_401_and_pages_redirect_to_login(staff_client: TestClient) -> None:
    api = staff_client.get("/api/v1/me")
    assert api.status_code == 401 and api.headers["www-authenticate"] == "Bearer"

    def staff_page(user: CurrentUser) -> dict[str, str]:
        return {"hello": user.username}

    staff_client.app.add_api_route("/staff-page", staff_page)  # type: ignore[attr-defined]
    page = staff_client.get("/staff-page?x=1", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fstaff-page%3Fx%3D1"


def test_sessions_expire_are_unguessable_and_end_with_a_password_change(
    staff_client: TestClient, settings: Settings
) -> None:
    engine = engine_of(staff_client)
    valid = cookie_header(session_cookie(engine, settings, "district"))
    assert staff_client.get("/api/v1/me", headers=valid).status_code == 200
    tampered = {"Cookie": valid["Cookie"][:-2] + "xx"}
    assert staff_client.get("/api/v1/me", headers=tampered).status_code == 401

    old = cookie_header(session_cookie(engine, settings, "district"))
    with Session(engine) as session:  # the server-side end of a session is what counts
        row = session.exec(select(StaffSession).order_by(col(StaffSession.id).desc())).first()
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
    assert staff_client.get("/api/v1/me", headers=old).status_code == 401

    with Session(engine) as session:
        set_password(
            session=session, username="district", password="a-new-password-456", actor="test"
        )
    assert staff_client.get("/api/v1/me", headers=valid).status_code == 401


def test_logout_clears_the_session(staff_client: TestClient) -> None:
    csrf = csrf_from(staff_client.get("/login").text)  # the browser's nonce is reused below
    assert login(staff_client, "admin").status_code == 303
    assert staff_client.get("/api/v1/me").status_code == 200
    page = staff_client.get("/login?next=/x", follow_redirects=False)  # signed in: skip form
    assert page.status_code == 303 and page.headers["location"] == "/x"
    refused = staff_client.post("/logout", follow_redirects=False)
    assert refused.status_code == 403
    copied = cookie_header({SESSION_COOKIE: staff_client.cookies[SESSION_COOKIE]})
    done = staff_client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert staff_client.get("/api/v1/me").status_code == 401
    # the session ended on the server: a copy of the cookie replayed after sign-out is refused
    replay = TestClient(staff_client.app)
    assert replay.get("/api/v1/me", headers=copied).status_code == 401


def test_tokens_for_notebooks(staff_client: TestClient) -> None:
    issued = staff_client.post(
        "/api/v1/tokens", json={"username": "researcher", "password": PASSWORD, "name": "nb"}
    )
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert staff_client.get("/api/v1/me", headers=headers).json()["username"] == "researcher"

    wrong = staff_client.post(
        "/api/v1/tokens", json={"username": "researcher", "password": "not-the-password"}
    )
    assert wrong.status_code == 401
    assert staff_client.post("/api/v1/tokens", json={}).status_code == 401
    assert staff_client.post("/api/v1/tokens", json={"days": 0}).status_code == 422

    other = bearer(engine_of(staff_client), "district")
    token_id = issued.json()["id"]
    assert staff_client.delete(f"/api/v1/tokens/{token_id}", headers=other).status_code == 404
    assert staff_client.delete("/api/v1/tokens/99999999999999", headers=headers).status_code == 422
    assert staff_client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 204
    revoked = staff_client.get("/api/v1/me", headers=headers)
    assert revoked.status_code == 401
    assert 'error="invalid_token"' in revoked.headers["www-authenticate"]


def test_a_signed_in_browser_gets_a_token_only_with_a_json_body(
    staff_client: TestClient,
) -> None:
    assert login(staff_client, "researcher").status_code == 303
    form_post = staff_client.post("/api/v1/tokens", data={"name": "x"})
    assert form_post.status_code == 415  # a cross-site HTML form cannot send JSON
    cross_site = staff_client.post(
        "/api/v1/tokens", json={"name": "x"}, headers={"Origin": "https://evil.example"}
    )
    assert cross_site.status_code == 403
    issued = staff_client.post(
        "/api/v1/tokens", json={"name": "laptop"}, headers={"Origin": "http://testserver"}
    )
    assert issued.status_code == 201 and issued.json()["username"] == "researcher"


def test_require_role_names_the_allowed_roles(staff_client: TestClient) -> None:
    def admin_only(user: Annotated[User, Depends(require_role("admin"))]) -> dict[str, str]:
        return {"ok": user.username}

    staff_client.app.add_api_route("/api/v1/admin-only", admin_only)  # type: ignore[attr-defined]
    engine = engine_of(staff_client)
    refused = staff_client.get("/api/v1/admin-only", headers=bearer(engine, "researcher"))
    assert refused.status_code == 403
    assert "仅限" in refused.json()["detail"] and "admin" in refused.json()["detail"]
    ok = staff_client.get("/api/v1/admin-only", headers=bearer(engine, "admin"))
    assert ok.json() == {"ok": "admin"}


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("admin", ["C1", "C3", "C2"]),
        ("researcher", ["C1", "C3", "C2"]),
        ("district", ["C1", "C3", "C2"]),
        ("street", ["C1", "C2"]),
        ("other_street", ["C3"]),
        ("community", ["C1"]),
    ],
)
def test_rankings_are_filtered_to_the_scope(
    staff_client: TestClient, who: str, visible: list[str]
) -> None:
    store_snapshot(engine_of(staff_client))
    response = staff_client.get(
        "/api/v1/waves/W1/rankings", headers=bearer(engine_of(staff_client), who)
    )
    assert response.status_code == 200
    rows = response.json()["communities"]
    assert [r["community"] for r in rows] == visible
    c3 = [r for r in rows if r["community"] == "C3"]
    if c3:
        assert c3[0]["rank"] == 2  # district ranks, even for the street official of S2


def test_account_partial_signs_out_with_its_own_csrf_token(staff_client: TestClient) -> None:
    from api.web.templating import templates

    def account(request: Request, user: CurrentUser) -> Any:
        return templates.TemplateResponse(request, "_account.html", {})

    staff_client.app.add_api_route("/account-partial", account)  # type: ignore[attr-defined]
    assert login(staff_client, "street").status_code == 303
    staff_client.cookies.delete("meihao_csrf")  # a fresh browser: the page must set the nonce
    html = staff_client.get("/account-partial")
    assert "street" in html.text and "退出登录" in html.text
    assert "meihao_csrf" in html.headers["set-cookie"]
    out = staff_client.post(
        "/logout", data={"csrf_token": csrf_from(html.text)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert staff_client.get("/api/v1/me").status_code == 401
