"""Revocations reach the other processes' credential caches through PostgreSQL's NOTIFY.

"Another process" is a second :class:`CredentialCache` with its own :class:`Listener`; the
revocations go through the storage functions, in this process, as a request would make them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

import survey.storage.users as users
from survey.storage.credential_broadcast import Listener, announce, apply, start_listener
from survey.storage.credential_cache import CredentialCache
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from survey.storage.models import User
from survey.storage.sessions import _hash, create_session, revoke_session
from survey.storage.users import (
    _token_hash,
    create_user,
    issue_token,
    revoke_token,
    set_active,
    set_password,
)
from tests.support.staff import FAST_HASHER

PASSWORD = "correct-horse-battery"


def test_a_payload_names_what_to_forget() -> None:
    cache = CredentialCache(ttl=60)
    alice = User(id=1, username="a", password_hash="h", role="admin")
    bob = User(id=2, username="b", password_hash="h", role="admin")
    cache.put("k1", alice, None)
    cache.put("k2", alice, None)
    cache.put("k3", bob, None)
    apply("key:k3", cache)
    assert cache.get("k3") is None and cache.get("k1") is alice
    apply("user:1", cache)
    assert len(cache) == 0
    cache.put("k3", bob, None)
    apply("nonsense", cache)  # not ours to understand: forget everything
    assert len(cache) == 0


def test_sqlite_has_no_channel_and_announcing_is_a_no_op(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    with Session(engine) as session:
        announce(session, user_id=1)  # nothing to send, nothing raised
        session.commit()
    assert start_listener(engine) is None
    engine.dispose()


@pytest.fixture
def pg(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setattr(users, "_hasher", FAST_HASHER)
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def elsewhere(pg: Engine) -> Iterator[CredentialCache]:
    cache = CredentialCache(ttl=600)  # a TTL that cannot explain what the test sees
    listener = Listener(pg, cache).start()
    assert listener.ready.wait(10), "the listener did not start"
    yield cache
    listener.stop()


def _gone(cache: CredentialCache, key: str, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if cache.get(key) is None:
            return True
        time.sleep(0.02)
    return False


@pytest.mark.postgres
def test_every_way_of_ending_a_credential_is_heard_elsewhere(
    pg: Engine, elsewhere: CredentialCache
) -> None:
    with Session(pg, expire_on_commit=False) as session:
        alice = create_user(session=session, username="alice", password=PASSWORD, role="admin")
        boss = create_user(session=session, username="boss", password=PASSWORD, role="admin")
        token, row = issue_token(session=session, user=alice)
        cookie = create_session(session=session, user=alice, lifetime=timedelta(hours=1))
        assert row.id is not None and alice.id is not None and boss.id is not None
        # What the cache holds in a server: detached copies, as the look-ups make them.
        alice_read = User(id=alice.id, username="alice", password_hash="h", role="admin")
        boss_read = User(id=boss.id, username="boss", password_hash="h", role="admin")

        endings: list[tuple[str, Callable[[], object]]] = [
            (
                _token_hash(token),
                lambda: revoke_token(session=session, token_id=row.id, actor=boss, any_owner=True),
            ),
            (_hash(cookie), lambda: revoke_session(session=session, session_id=cookie)),
        ]
        for key, end in endings:
            elsewhere.put(key, alice_read, None)
            end()
            assert _gone(elsewhere, key), key

        for end in (
            lambda: set_password(
                session=session, username="alice", password=PASSWORD + "!", actor="t"
            ),
            lambda: set_active(session=session, username="alice", active=False, actor="boss"),
        ):
            elsewhere.put("any-credential-of-alice", alice_read, None)
            elsewhere.put("boss-credential", boss_read, None)
            end()
            assert _gone(elsewhere, "any-credential-of-alice")
            assert elsewhere.get("boss-credential") is boss_read  # only alice's were named


@pytest.mark.postgres
def test_a_rolled_back_revocation_tells_nobody(pg: Engine, elsewhere: CredentialCache) -> None:
    alice = User(id=424242, username="a", password_hash="h", role="admin")
    elsewhere.put("kept", alice, None)
    elsewhere.put("other", alice, None)
    with Session(pg) as session:
        announce(session, user_id=424242)
        session.rollback()
    with Session(pg) as session:  # a later committed one is heard: the channel works
        announce(session, key="other")
        session.commit()
    assert _gone(elsewhere, "other")
    assert elsewhere.get("kept") is alice  # notifications arrive in order: the first never came
