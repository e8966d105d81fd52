"""Rate limits on the public write routes (api/web/ratelimit.py): the counting, the client
address behind trusted proxies, and a flood through the JSON API."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, func, select
from starlette.requests import Request

from api.settings import Settings
from api.web import ratelimit
from survey.storage.models import RateCounter, Response
from tests.support.factories import complete_answers, link_token, new_client_id
from tests.support.staff import engine_of


def request_from(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "expected"),
    [
        ("", "203.0.113.9", "1.2.3.4", "203.0.113.9"),  # no proxy trusted: header ignored
        ("10.0.0.0/8", "203.0.113.9", "1.2.3.4", "203.0.113.9"),  # untrusted peer
        ("10.0.0.0/8", "10.0.0.2", "1.2.3.4", "1.2.3.4"),
        # the client wrote the leftmost entry itself: the nearest untrusted hop counts
        ("10.0.0.0/8", "10.0.0.2", "6.6.6.6, 1.2.3.4, 10.0.0.7", "1.2.3.4"),
        ("10.0.0.0/8,127.0.0.1", "127.0.0.1", "10.1.1.1", "10.1.1.1"),  # all trusted: leftmost
        ("10.0.0.0/8", "10.0.0.2", "not-an-ip", "10.0.0.2"),
        ("10.0.0.0/8", "10.0.0.2", None, "10.0.0.2"),
    ],
)
def test_forwarded_addresses_are_believed_only_from_trusted_proxies(
    trusted: str, peer: str, forwarded: str | None, expected: str
) -> None:
    settings = Settings(secret_key="k", trusted_proxies=trusted)
    assert ratelimit.client_address(request_from(peer, forwarded), settings) == expected


@given(
    limit=st.integers(1, 500),
    previous=st.integers(0, 2000),
    current=st.integers(1, 2000),
    elapsed=st.floats(0, 0.999),
)
def test_the_wait_ends_exactly_when_the_estimate_is_back_within_the_limit(
    limit: int, previous: int, current: int, elapsed: float
) -> None:
    wait = ratelimit.wait_seconds(current, previous, limit, elapsed)
    estimate = current + previous * (1 - elapsed)
    assert (wait == 0) == (estimate <= limit)
    if wait > 0:  # one more request after waiting is allowed, and not much earlier
        later = elapsed + wait / ratelimit.WINDOW_S
        if later < 1:
            assert current + 1 + previous * (1 - later) <= limit + 1e-6
        else:
            assert 1 + current * (1 - (later - 1)) <= limit + 1e-6


def test_a_flood_of_json_posts_gets_429_after_the_limit(client: TestClient) -> None:
    limit = client.app.state.settings.submit_rate_per_minute  # type: ignore[attr-defined]
    window = ratelimit.WINDOW_S
    if time.time() % window > window - 15:  # keep the flood inside one minute window
        time.sleep(window - time.time() % window + 0.1)
    started = time.monotonic()
    statuses = []
    for _ in range(200):
        body = {"link": link_token(), "client_id": new_client_id(), "answers": complete_answers()}
        response = client.post("/api/v1/responses", json=body)
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) >= 1
    assert time.monotonic() - started < 10
    assert statuses[:limit] == [201] * limit
    assert set(statuses[limit:]) == {429}
    with Session(engine_of(client)) as session:
        assert int(session.exec(select(func.count()).select_from(Response)).one()) <= limit
        buckets = session.exec(select(RateCounter.bucket)).all()
    assert buckets and all("testclient" not in b for b in buckets)  # a keyed hash, no address
