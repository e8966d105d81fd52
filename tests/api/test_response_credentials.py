"""Every way into POST /api/v1/responses carries a credential that fixes the community
(issue 11): open links, invitation codes, enumerators' tokens, and the server's start time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from survey.storage.access import create_invitations, format_code
from survey.storage.models import ApiToken, Community, Invitation, Response, Wave
from survey.storage.users import create_user
from tests.support.factories import complete_answers, link_token, new_client_id
from tests.support.staff import bearer, engine_of, seed_staff
from tests.support.survey_form import fill_until

URL = "/api/v1/responses"


def body(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"client_id": new_client_id(), "answers": complete_answers()}
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


def rows(client: TestClient) -> list[Response]:
    with Session(engine_of(client)) as session:
        return list(session.exec(select(Response).order_by(Response.id)).all())  # type: ignore[arg-type]


def n_stored(client: TestClient) -> int:
    with Session(engine_of(client)) as session:
        return int(session.exec(select(func.count()).select_from(Response)).one())


def set_wave(client: TestClient, **fields: Any) -> None:
    with Session(engine_of(client)) as session:
        wave = session.exec(select(Wave)).one()
        for key, value in fields.items():
            setattr(wave, key, value)
        session.add(wave)
        session.commit()


def codes(
    client: TestClient, community: str = "C1", count: int = 2, *, mode: str = "invitation"
) -> list[str]:
    """``count`` new codes for ``community``; the wave is put in ``mode`` first."""
    set_wave(client, access_mode=mode)
    with Session(engine_of(client)) as session:
        wave = session.exec(select(Wave)).one()
        place = session.exec(select(Community).where(Community.code == community)).one()
        made = create_invitations(session=session, wave=wave, community=place, count=count)
        session.commit()
    return made


def test_an_anonymous_post_is_401_and_stores_nothing(client: TestClient) -> None:
    response = client.post(URL, json=body(wave="W1", community="C1"))
    assert response.status_code == 401
    assert "link" in response.json()["detail"] and "invitation" in response.json()["detail"]
    assert n_stored(client) == 0


def test_a_link_fixes_the_community(client: TestClient) -> None:
    created = client.post(URL, json=body(link=link_token("W1", "C2")))
    assert created.status_code == 201, created.text
    (row,) = rows(client)
    assert row.channel == "api" and row.enumerator_id is None
    with Session(engine_of(client)) as session:
        assert session.get(Community, row.community_id).code == "C2"  # type: ignore[union-attr]


def test_a_community_that_disagrees_with_the_link_is_422_naming_it(client: TestClient) -> None:
    response = client.post(URL, json=body(link=link_token("W1", "C1"), community="C2"))
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "community"] and "C1" in problem["msg"]
    wrong_wave = client.post(URL, json=body(link=link_token("W1", "C1"), wave="W9"))
    assert wrong_wave.status_code == 422 and wrong_wave.json()["detail"][0]["loc"][-1] == "wave"
    assert n_stored(client) == 0


@pytest.mark.parametrize(
    "link",
    [
        link_token("W1", "C1")[:-3] + "AAA",  # signature altered
        link_token("W1", "C1", secret="another-deployment"),  # signed by someone else
        link_token("W1", "C1").replace(".", "", 1),  # cut
        "not-a-link",
    ],
)
def test_a_tampered_link_is_401(client: TestClient, link: str) -> None:
    response = client.post(URL, json=body(link=link))
    assert response.status_code == 401 and "not valid" in response.json()["detail"]
    assert n_stored(client) == 0


def test_an_expired_link_is_409(client: TestClient) -> None:
    # A link lives as long as its wave: once the wave's closing time has passed it opens nothing.
    set_wave(client, closes_at=datetime.now(UTC) - timedelta(minutes=1))
    response = client.post(URL, json=body(link=link_token()))
    assert response.status_code == 409 and "closed" in response.json()["detail"]
    start = client.post(f"{URL}/start", json=body(link=link_token(), answers=None))
    assert start.status_code == 409
    assert n_stored(client) == 0


def test_an_invitation_wave_refuses_links_and_takes_codes(client: TestClient) -> None:
    set_wave(client, access_mode="invitation")
    refused = client.post(URL, json=body(link=link_token()))
    assert refused.status_code == 403 and "invitation" in refused.json()["detail"]
    first, second = codes(client)
    payload = body(invitation=first)
    assert client.post(URL, json=payload).status_code == 201
    assert client.post(URL, json=payload).status_code == 200  # the identical retry
    assert client.post(URL, json=body(invitation=second, community="C1")).status_code == 201
    assert n_stored(client) == 2


def test_a_code_used_twice_is_409(client: TestClient) -> None:
    (code,) = codes(client, count=1)
    assert client.post(URL, json=body(invitation=code)).status_code == 201
    again = client.post(URL, json=body(invitation=code.lower()))  # another client id
    assert again.status_code == 409 and "already used" in again.json()["detail"]
    start = client.post(f"{URL}/start", json=body(invitation=code, answers=None))
    assert start.status_code == 409
    assert n_stored(client) == 1


def used(client: TestClient) -> int:
    with Session(engine_of(client)) as session:
        return sum(i.used_at is not None for i in session.exec(select(Invitation)).all())


def test_an_open_wave_refuses_codes_everywhere_and_uses_none(client: TestClient) -> None:
    (code,) = codes(client, count=1, mode="open")
    refused = client.post(URL, json=body(invitation=code))
    assert refused.status_code == 403 and "open link" in refused.json()["detail"]
    start = client.post(f"{URL}/start", json=body(invitation=code, answers=None))
    assert start.status_code == 403
    page = client.get(f"/i/{format_code(code)}")
    assert page.status_code == 403 and "二维码" in page.text
    assert client.post(f"/i/{format_code(code)}", data={}).status_code in (400, 403)
    assert client.post(URL, json=body(link=link_token())).status_code == 201  # the poster works
    assert n_stored(client) == 1 and used(client) == 0
    set_wave(client, access_mode="invitation")  # the same code, once the wave takes codes
    assert client.post(URL, json=body(invitation=code)).status_code == 201
    assert used(client) == 1


def test_a_code_of_a_closed_wave_is_409_and_stays_unused(client: TestClient) -> None:
    (code,) = codes(client, count=1)
    set_wave(client, closes_at=datetime.now(UTC) - timedelta(minutes=1))
    response = client.post(URL, json=body(invitation=code))
    assert response.status_code == 409 and "closed" in response.json()["detail"]
    # The form's address of a closed wave leads to the community's public results instead.
    page = client.get(f"/i/{format_code(code)}", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/p/")
    assert n_stored(client) == 0 and used(client) == 0


def test_a_code_used_on_the_form_is_refused_by_the_api(client: TestClient) -> None:
    (code,) = codes(client, count=1)
    done = fill_until(client, f"/i/{format_code(code)}", complete_answers())
    assert "提交成功" in done.html
    again = client.post(URL, json=body(invitation=code))
    assert again.status_code == 409 and "already used" in again.json()["detail"]
    assert n_stored(client) == 1


def test_a_real_code_with_one_character_changed_is_401(client: TestClient) -> None:
    (code,) = codes(client, count=1)
    swapped = ("3" if code[0] != "3" else "4") + code[1:]
    response = client.post(URL, json=body(invitation=swapped))
    assert response.status_code == 401 and response.json()["detail"].startswith("invitation")
    assert n_stored(client) == 0 and used(client) == 0


def test_a_code_fixes_its_community(client: TestClient) -> None:
    (code,) = codes(client, community="C2", count=1)
    response = client.post(URL, json=body(invitation=code, community="C1"))
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "community"
    assert client.post(URL, json=body(invitation=code)).status_code == 201


@pytest.mark.parametrize("code", ["ABCD-EFGH-JKLM-NPQR", "too-short", "0000-0000-0000-0000"])
def test_unknown_or_malformed_codes_are_401(client: TestClient, code: str) -> None:
    response = client.post(URL, json=body(invitation=code))
    assert response.status_code == 401 and response.json()["detail"].startswith("invitation")


def test_two_credentials_are_422(client: TestClient) -> None:
    (code,) = codes(client, count=1)
    response = client.post(URL, json=body(link=link_token(), invitation=code))
    assert response.status_code == 422 and "one credential" in response.json()["detail"][0]["msg"]


@pytest.fixture
def enumerator(client: TestClient) -> dict[str, str]:
    """A 网格员 of street S1 (communities C1, C2; not C3 of street S2)."""
    engine = engine_of(client)
    seed_staff(engine)
    with Session(engine) as session:
        create_user(
            session=session,
            username="grid1",
            password="grid-password-123",
            role="enumerator",
            scope_level="street",
            scope_code="S1",
        )
    return bearer(engine, "grid1")


def test_an_enumerator_enters_answers_within_their_scope(
    client: TestClient, enumerator: dict[str, str]
) -> None:
    entered = client.post(URL, json=body(wave="W1", community="C2"), headers=enumerator)
    assert entered.status_code == 201, entered.text
    (row,) = rows(client)
    assert row.channel == "enumerator" and row.enumerator_id is not None
    outside = client.post(URL, json=body(wave="W1", community="C3"), headers=enumerator)
    assert outside.status_code == 403 and "scope" in outside.json()["detail"]
    unnamed = client.post(URL, json=body(wave="W1"), headers=enumerator)
    assert unnamed.status_code == 422 and unnamed.json()["detail"][0]["loc"][-1] == "community"
    assert n_stored(client) == 1


def test_only_entry_roles_may_enter_and_bad_tokens_are_401(
    client: TestClient, enumerator: dict[str, str]
) -> None:
    engine = engine_of(client)
    official = client.post(
        URL, json=body(wave="W1", community="C1"), headers=bearer(engine, "district")
    )
    assert official.status_code == 403
    bad = client.post(
        URL, json=body(wave="W1", community="C1"), headers={"Authorization": "Bearer mh_nope"}
    )
    assert bad.status_code == 401
    expired = bearer(engine, "grid1")
    revoked = bearer(engine, "grid1")
    with Session(engine) as session:
        tokens = session.exec(select(ApiToken).order_by(ApiToken.id)).all()  # type: ignore[arg-type]
        tokens[-2].expires_at = datetime.now(UTC) - timedelta(seconds=1)
        tokens[-1].revoked_at = datetime.now(UTC)
        session.add_all(tokens[-2:])
        session.commit()
    for headers in (expired, revoked):
        late = client.post(URL, json=body(wave="W1", community="C1"), headers=headers)
        assert late.status_code == 401 and "token" in late.json()["detail"]
    admin = client.post(URL, json=body(wave="W1", community="C3"), headers=bearer(engine, "admin"))
    assert admin.status_code == 201
    assert n_stored(client) == 1


def test_the_duration_is_measured_from_the_servers_start(client: TestClient) -> None:
    client_id = new_client_id()
    start = client.post(f"{URL}/start", json={"link": link_token(), "client_id": client_id})
    assert start.status_code == 201, start.text
    server_start = datetime.fromisoformat(start.json()["started_at"])
    assert abs((datetime.now(UTC) - server_start).total_seconds()) < 5
    again = client.post(f"{URL}/start", json={"link": link_token(), "client_id": client_id})
    assert again.json()["started_at"] == start.json()["started_at"]  # idempotent
    claimed = datetime(2020, 1, 1, tzinfo=UTC)  # a client claiming an hour-long, careful read
    sent = client.post(
        URL, json=body(link=link_token(), client_id=client_id, started_at=claimed.isoformat())
    )
    assert sent.status_code == 201 and sent.json()["duration_known"] is True
    (row,) = rows(client)
    assert row.client_started_at is not None and row.client_started_at.year == 2020
    assert row.started_at is not None and row.started_at.year != 2020
    assert row.duration_s is not None and row.duration_s < 60
    assert "speeder" in row.quality_flags  # seconds for ~50 answers: the server saw it


def test_without_a_start_the_duration_is_unknown(client: TestClient) -> None:
    sent = client.post(URL, json=body(link=link_token(), started_at="2020-01-01T00:00:00Z"))
    assert sent.status_code == 201 and sent.json()["duration_known"] is False
    (row,) = rows(client)
    assert row.started_at is None and row.duration_s is None
    assert "speeder" not in row.quality_flags


def test_a_start_from_another_community_does_not_carry_over(client: TestClient) -> None:
    client_id = new_client_id()
    client.post(f"{URL}/start", json={"link": link_token("W1", "C2"), "client_id": client_id})
    other = client.post(URL, json=body(link=link_token("W1", "C1"), client_id=client_id))
    assert other.status_code == 409 and "another credential" in other.json()["detail"]
