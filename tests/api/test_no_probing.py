"""Anonymous callers learn nothing from staff routes: an existing wave, community, street or
model answers exactly like a made-up one (sign-in is checked before any look-up)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.test_route_permissions import PUBLIC, RULES, app_routes, request_for, world

__all__ = ["world"]  # the fixture, shared with the route table

MADE_UP = {
    "wave": "ZZ",
    "community": "NOPE-1",
    "street": "NOPE",
    "name": "no-such-model",
    "version": "77",
    "fmt": "csv",
    "token_id": "123456",
    "snapshot_id": "123456",
}


def test_anonymous_replies_do_not_depend_on_what_exists(
    client: TestClient, world: dict[str, Any]
) -> None:
    anonymous = TestClient(client.app, headers={"Origin": "http://testserver"})
    differ: list[str] = []
    checked = 0
    for method, path in app_routes(client):
        rule = RULES[(method, path)]
        if rule.policy == PUBLIC or "{" not in path:
            continue
        urls = [
            request_for((method, path), rule, world["values"]) if not rule.path else rule.path,
            path.format(**{**world["values"], **MADE_UP}),
        ]
        replies = []
        for url in urls:
            kwargs: dict[str, Any] = {"follow_redirects": False}
            if method in ("POST", "PUT") and url.startswith("/api/"):
                kwargs["json"] = rule.body or {}
            response = anonymous.request(method, url, **kwargs)
            location = response.headers.get("location", "").split("?")[0]
            replies.append(
                (response.status_code, response.text if url.startswith("/api/") else location)
            )
        checked += 1
        if replies[0] != replies[1]:
            differ.append(f"{method} {path}: {replies[0]} vs {replies[1]}")
    assert checked >= 25
    assert not differ, "\n".join(differ)
