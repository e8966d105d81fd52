"""Issue 13, point 3: the account bar on staff pages, the landing page fitted to the scope,
sign-out from a GET, and 403/404 as pages for browsers (JSON for the API)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.web.auth import SESSION_COOKIE
from tests.support.officials_district import (
    COMMUNITY_OFFICIAL_OF,
    LAST,
    SUPPRESSED_STREET,
    XSS_COMMUNITY,
    sign_in,
)

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def bar(html: str) -> str:
    found = re.search(r'<form method="post" action="/logout" class="account.*?</form>', html, re.S)
    assert found, "no account bar"
    return found.group(0)


@pytest.mark.parametrize(
    ("username", "landing"),
    [
        ("admin", f"/waves/{LAST}"),
        ("district", f"/waves/{LAST}"),
        ("street", f"/waves/{LAST}/streets/{SUPPRESSED_STREET}"),
        ("community", f"/waves/{LAST}/communities/{COMMUNITY_OFFICIAL_OF}"),
    ],
)
def test_each_scope_lands_on_its_own_page(
    officials_client: TestClient, username: str, landing: str
) -> None:
    client = sign_in(officials_client, username)
    response = client.get("/start", follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"] == landing
    page = client.get(landing)
    assert page.status_code == 200
    assert f'<strong class="account-name">{username}</strong>' in bar(page.text)


def test_sign_in_without_next_goes_to_the_landing_page(officials_client: TestClient) -> None:
    # A signed-in caller asking for /login is sent where a sign-in without next= goes.
    client = sign_in(officials_client, "community")
    again = client.get("/login", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/start"


def test_the_bar_names_role_and_scope_in_the_page_language(officials_client: TestClient) -> None:
    client = sign_in(officials_client, "street")
    zh = bar(client.get(f"/waves/{LAST}/streets/{SUPPRESSED_STREET}").text)
    assert "工作人员 · 街道 · " in zh and "退出登录" in zh and 'name="csrf_token"' in zh
    en = bar(client.get(f"/waves/{LAST}/streets/{SUPPRESSED_STREET}?lang=en").text)
    assert "official · street · " in en and "Sign out" in en
    admin = bar(sign_in(officials_client, "admin").get(f"/waves/{LAST}?lang=zh").text)
    assert "管理员 · 全区" in admin


def test_public_pages_show_no_bar_and_offer_sign_in(officials_client: TestClient) -> None:
    home = officials_client.get("/").text
    assert 'class="account' not in home and 'href="/login"' in home
    signed = sign_in(officials_client, "district").get("/").text
    assert 'href="/start"' in signed and "account-name" in signed


def test_get_logout_offers_the_button_and_post_ends_the_session(
    officials_client: TestClient,
) -> None:
    client = sign_in(officials_client, "district")
    page = client.get("/logout")
    assert page.status_code == 200 and 'action="/logout"' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    done = client.post("/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    assert done.status_code == 303
    client.cookies.delete(SESSION_COOKIE)
    assert client.get("/start", follow_redirects=False).headers["location"].startswith("/login")


def test_out_of_scope_and_missing_pages_are_pages_for_browsers(
    officials_client: TestClient,
) -> None:
    client = sign_in(officials_client, "community")
    outside = client.get(f"/waves/{LAST}/communities/{XSS_COMMUNITY}", headers=BROWSER)
    missing = client.get(f"/waves/{LAST}/communities/NOPE-999", headers=BROWSER)
    for response in (outside, missing):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "页面不存在" in response.text and 'href="/start"' in response.text
        assert '"detail"' not in response.text
    # Same page whether the community exists outside the scope or not at all.
    assert outside.text == missing.text
    english = client.get("/no/such/page?lang=en", headers=BROWSER)
    assert english.status_code == 404 and "Page not found" in english.text


def test_forbidden_is_a_page_and_the_api_keeps_json(officials_client: TestClient) -> None:
    client = sign_in(officials_client, "district")
    forbidden = client.get("/admin/waves", headers=BROWSER)
    assert forbidden.status_code == 403
    assert "无权访问" in forbidden.text and forbidden.headers["content-type"].startswith(
        "text/html"
    )
    api = client.get(f"/api/v1/waves/{LAST}/communities/NOPE-999", headers=BROWSER)
    assert api.status_code == 404 and "detail" in api.json()
    script = client.get(f"/waves/{LAST}/communities/NOPE-999")  # no Accept: text/html
    assert script.status_code == 404 and "detail" in script.json()


def test_before_any_snapshot_the_landing_page_is_home(client: TestClient) -> None:
    from api.settings import Settings
    from tests.support.staff import engine_of, seed_staff, session_cookie, store_snapshot

    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    seed_staff(engine_of(client))
    client.cookies.update(session_cookie(engine_of(client), settings, "community"))
    assert client.get("/start", follow_redirects=False).headers["location"] == "/"
    store_snapshot(engine_of(client))  # wave W1 scored with its default model
    landing = client.get("/start", follow_redirects=False).headers["location"]
    assert landing == "/waves/W1/communities/C1"
