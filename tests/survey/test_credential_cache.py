"""The credential cache: a few seconds' memory of token and session look-ups, forgotten at once
by whatever ends a credential in this process, and bounded by its TTL for changes made elsewhere
(simulated here by writing the database directly, as another process would)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import survey.storage.users as users
from survey.storage.credential_cache import CREDENTIALS, CredentialCache
from survey.storage.models import ApiToken, StaffSession, User, utcnow
from survey.storage.sessions import create_session, resolve_session, revoke_session
from survey.storage.users import (
    create_user,
    issue_token,
    resolve_token,
    revoke_token,
    set_active,
    set_password,
)
from tests.support.factories import seed_minimal
from tests.support.staff import FAST_HASHER

PASSWORD = "correct-horse-battery"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock()
    monkeypatch.setattr(CREDENTIALS, "_clock", fake)
    monkeypatch.setattr(users, "_hasher", FAST_HASHER)
    CREDENTIALS.configure(ttl=5.0)
    yield fake
    CREDENTIALS.configure(ttl=5.0)


@pytest.fixture
def people(engine: Engine, clock: Clock) -> dict[str, User]:
    seed_minimal(engine)
    with Session(engine, expire_on_commit=False) as session:
        return {
            name: create_user(session=session, username=name, password=PASSWORD, role=role)
            for name, role in (("alice", "researcher"), ("boss", "admin"))
        }


def _queries(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_a_hit_costs_no_query_until_the_ttl_runs_out(
    engine: Engine, people: dict[str, User], clock: Clock
) -> None:
    with Session(engine) as session:
        token, _ = issue_token(session=session, user=people["alice"])
    seen = _queries(engine)
    with Session(engine) as session:
        first = resolve_token(session=session, token=token, cached=True)
        asked = len(seen)
        again = resolve_token(session=session, token=token, cached=True)
        assert len(seen) == asked >= 1  # the second look-up was answered from memory
        assert first is not None and again is not None and again.username == "alice"
        clock.now += 5.01
        assert resolve_token(session=session, token=token, cached=True) is not None
        assert len(seen) > asked  # stale: asked the database again


def test_a_revocation_elsewhere_is_seen_within_the_ttl(
    engine: Engine, people: dict[str, User], clock: Clock
) -> None:
    with Session(engine) as session:
        token, row = issue_token(session=session, user=people["alice"])
        assert resolve_token(session=session, token=token, cached=True) is not None
        # Another process revokes it: this process's memory does not know yet...
        session.execute(
            update(ApiToken).where(col(ApiToken.id) == row.id).values(revoked_at=utcnow())
        )
        session.commit()
        assert resolve_token(session=session, token=token, cached=True) is not None
        assert resolve_token(session=session, token=token) is None  # uncached: refused
        clock.now += 4.9
        assert resolve_token(session=session, token=token, cached=True) is not None
        clock.now += 0.2  # ... for at most the TTL
        assert resolve_token(session=session, token=token, cached=True) is None
        assert resolve_token(session=session, token=token, cached=True) is None  # not re-cached


def test_ending_a_credential_in_this_process_is_seen_at_once(
    engine: Engine, people: dict[str, User]
) -> None:
    alice, boss = people["alice"], people["boss"]
    with Session(engine, expire_on_commit=False) as session:
        revoked, row = issue_token(session=session, user=alice)
        signed_out = create_session(session=session, user=alice, lifetime=timedelta(hours=1))
        for_password = create_session(session=session, user=alice, lifetime=timedelta(hours=1))
        assert resolve_token(session=session, token=revoked, cached=True) is not None
        assert resolve_session(session=session, session_id=signed_out, cached=True) is not None
        assert resolve_session(session=session, session_id=for_password, cached=True) is not None

        assert row.id is not None
        revoke_token(session=session, token_id=row.id, actor=alice)
        assert resolve_token(session=session, token=revoked, cached=True) is None
        revoke_session(session=session, session_id=signed_out)
        assert resolve_session(session=session, session_id=signed_out, cached=True) is None
        set_password(session=session, username="alice", password=PASSWORD + "!", actor="t")
        assert resolve_session(session=session, session_id=for_password, cached=True) is None

        token, _ = issue_token(session=session, user=alice)
        cookie = create_session(session=session, user=alice, lifetime=timedelta(hours=1))
        assert resolve_token(session=session, token=token, cached=True) is not None
        assert resolve_session(session=session, session_id=cookie, cached=True) is not None
        set_active(session=session, username="alice", active=False, actor=boss.username)
        assert resolve_token(session=session, token=token, cached=True) is None
        assert resolve_session(session=session, session_id=cookie, cached=True) is None
        set_active(session=session, username="alice", active=True, actor=boss.username)
        assert resolve_token(session=session, token=token, cached=True) is None  # stays revoked
        assert (
            session.exec(select(StaffSession).where(col(StaffSession.revoked_at).is_(None))).all()
            == []
        )


def test_a_credentials_own_expiry_is_honoured_from_memory(
    engine: Engine, people: dict[str, User], clock: Clock
) -> None:
    with Session(engine) as session:
        token, _ = issue_token(session=session, user=people["alice"], lifetime=timedelta(seconds=1))
        assert resolve_token(session=session, token=token, cached=True) is not None
    cache = CredentialCache(ttl=3600, clock=clock)
    user = User(id=1, username="x", password_hash="h", role="admin")
    cache.put("k", user, utcnow() - timedelta(seconds=1))
    assert cache.get("k") is None and len(cache) == 0
    cache.put("k", user, utcnow() + timedelta(hours=1))
    assert cache.get("k") is not None


def test_wrong_tokens_are_not_cached_and_the_cache_is_bounded(
    engine: Engine, people: dict[str, User], clock: Clock
) -> None:
    CREDENTIALS.clear()
    with Session(engine) as session:
        for i in range(20):
            assert resolve_token(session=session, token=f"mh_wrong{i}", cached=True) is None
    assert len(CREDENTIALS) == 0
    small = CredentialCache(ttl=60, maxsize=3, clock=clock)
    for i in range(5):
        small.put(f"k{i}", User(id=i, username=f"u{i}", password_hash="h", role="admin"), None)
    assert len(small) == 3
    assert small.get("k0") is None and small.get("k1") is None
    assert [small.get(f"k{i}").username for i in (2, 3, 4)] == ["u2", "u3", "u4"]  # type: ignore[union-attr]
    small.forget_user(3)
    assert small.get("k3") is None and small.get("k4") is not None


def test_a_ttl_of_zero_turns_the_cache_off(
    engine: Engine, people: dict[str, User], clock: Clock
) -> None:
    CREDENTIALS.configure(ttl=0)
    with Session(engine) as session:
        token, row = issue_token(session=session, user=people["alice"])
        assert resolve_token(session=session, token=token, cached=True) is not None
        assert len(CREDENTIALS) == 0
        session.execute(
            update(ApiToken).where(col(ApiToken.id) == row.id).values(revoked_at=utcnow())
        )
        session.commit()
        assert resolve_token(session=session, token=token, cached=True) is None


def test_a_look_up_that_raced_a_revocation_is_not_remembered(clock: Clock) -> None:
    cache = CredentialCache(ttl=60, clock=clock)
    user = User(id=7, username="u", password_hash="h", role="admin")
    before = cache.generation  # a request reads the database ...
    cache.forget_user(7)  # ... while another thread revokes and forgets ...
    cache.put("k", user, None, generation=before)  # ... so the stale answer is dropped
    assert cache.get("k") is None
    cache.put("k", user, None, generation=cache.generation)
    assert cache.get("k") is user
