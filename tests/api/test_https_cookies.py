"""Behind the TLS reverse proxy of docs/deploy.md the server sees plain HTTP; with an
``https://`` public address its cookies are ``Secure`` all the same (and without one, not)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.web.auth import SESSION_COOKIE
from api.web.csrf import CSRF_COOKIE
from tests.api.test_auth import csrf_from
from tests.support.factories import seed_minimal
from tests.support.staff import PASSWORD, seed_staff


@pytest.mark.parametrize(
    ("public", "secure"), [("https://survey.example.gov.cn", True), ("", False)]
)
def test_cookies_are_secure_when_the_public_address_is_https(
    sqlite_url: str, public: str, secure: bool
) -> None:
    settings = Settings(database_url=sqlite_url, secret_key="k", public_base_url=public)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        seed_minimal(client.app.state.engine)  # type: ignore[attr-defined]
        seed_staff(client.app.state.engine)  # type: ignore[attr-defined]
        form = client.get("/login")
        # The browser sends even Secure cookies back: it talks HTTPS to the proxy.
        nonce = form.cookies.get(CSRF_COOKIE) or client.cookies.get(CSRF_COOKIE)
        client.cookies.clear()
        signed_in = client.post(
            "/login",
            data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_from(form.text)},
            headers={"Cookie": f"{CSRF_COOKIE}={nonce}"},
            follow_redirects=False,
        )
    assert signed_in.status_code == 303
    cookies = {
        value.split("=", 1)[0]: value
        for key, value in [*form.headers.multi_items(), *signed_in.headers.multi_items()]
        if key == "set-cookie"
    }
    for name in (CSRF_COOKIE, SESSION_COOKIE):
        assert ("; Secure" in cookies[name] or "; secure" in cookies[name]) is secure, cookies[name]
