"""Staff accounts, argon2 passwords and API tokens on a real SQLite file and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import survey.storage.users as users
from survey.errors import ConflictError, NotFoundError
from survey.storage.models import ApiToken, AuditEvent, User, utcnow
from survey.storage.users import (
    UserInputError,
    authenticate,
    create_user,
    issue_token,
    recent_failed_logins,
    record_login,
    resolve_token,
    revoke_token,
)
from tests.support.factories import seed_minimal

PASSWORD = "correct horse battery"


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed_minimal(engine)
    return engine


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "boss"}, "role must be one of"),
        ({"role": "official", "scope_level": "city"}, "scope level must be one of"),
        ({"role": "researcher", "scope_level": "street", "scope_code": "S1"}, "district scope"),
        ({"role": "official", "scope_level": "street", "scope_code": ""}, "needs the street"),
        ({"role": "official", "scope_level": "street", "scope_code": "S9"}, "no street"),
        ({"role": "official", "scope_level": "community", "scope_code": "S1"}, "no community"),
        ({"role": "official", "scope_level": "district", "scope_code": "S1"}, "no scope code"),
        ({"role": "admin", "password": "short"}, "at least 10"),
        ({"role": "admin", "username": "  "}, "username"),
    ],
)
def test_create_user_rejects_bad_input(
    seeded: Engine, kwargs: dict[str, str], message: str
) -> None:
    args = {"username": "u1", "password": PASSWORD, "scope_level": "district", "scope_code": ""}
    args.update(kwargs)
    with Session(seeded) as session, pytest.raises(UserInputError, match=message):
        create_user(session=session, **args)
    with Session(seeded) as session:
        assert session.exec(select(User)).first() is None


def test_create_user_stores_an_argon2_hash_and_refuses_duplicates(seeded: Engine) -> None:
    with Session(seeded) as session:
        user = create_user(
            session=session,
            username="jiedao",
            password=PASSWORD,
            role="official",
            scope_level="street",
            scope_code="S1",
        )
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        with pytest.raises(ConflictError, match="already exists"):
            create_user(session=session, username="jiedao", password=PASSWORD, role="admin")
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "create_user")).all()
        assert [e.target for e in events] == ["jiedao"]


def test_authenticate(seeded: Engine) -> None:
    with Session(seeded) as session:
        create_user(session=session, username="admin", password=PASSWORD, role="admin")
        assert authenticate(session=session, username="admin", password=PASSWORD) is not None
        assert authenticate(session=session, username="admin", password=PASSWORD + "x") is None
        assert authenticate(session=session, username="nobody", password=PASSWORD) is None
        assert authenticate(session=session, username="", password="") is None
        assert authenticate(session=session, username="x" * 500, password=PASSWORD) is None
        user = session.exec(select(User)).one()
        user.active = False
        session.add(user)
        session.commit()
        assert authenticate(session=session, username="admin", password=PASSWORD) is None


def test_outdated_hash_parameters_are_upgraded_on_login(
    seeded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    with Session(seeded) as session:
        monkeypatch.setattr(users, "_hasher", weak)
        create_user(session=session, username="old", password=PASSWORD, role="researcher")
        old_hash = session.exec(select(User)).one().password_hash
        monkeypatch.setattr(users, "_hasher", PasswordHasher())
        assert authenticate(session=session, username="old", password=PASSWORD) is not None
    with Session(seeded) as session:
        new_hash = session.exec(select(User)).one().password_hash
    assert new_hash != old_hash and "m=65536" in new_hash and "m=8192" in old_hash


def test_tokens_resolve_until_revoked_or_expired(seeded: Engine) -> None:
    with Session(seeded) as session:
        alice = create_user(session=session, username="alice", password=PASSWORD, role="researcher")
        bob = create_user(session=session, username="bob", password=PASSWORD, role="admin")
        token, row = issue_token(session=session, user=alice, name="laptop")
        assert token.startswith("mh_") and len(token) >= 40
        stored = session.exec(select(ApiToken)).one()
        assert stored.token_hash != token and token not in stored.token_hash
        resolved = resolve_token(session=session, token=token)
        assert resolved is not None and resolved.username == "alice"
        assert resolve_token(session=session, token=token + "x") is None
        assert resolve_token(session=session, token="not-ours") is None

        assert row.id is not None
        with pytest.raises(NotFoundError):  # someone else's token looks like no token
            revoke_token(session=session, token_id=row.id, actor=bob)
        revoke_token(session=session, token_id=row.id, actor=alice)
        assert resolve_token(session=session, token=token) is None

        expired, _ = issue_token(session=session, user=alice, lifetime=timedelta(seconds=-1))
        assert resolve_token(session=session, token=expired) is None

        other, other_row = issue_token(session=session, user=alice)
        assert other_row.id is not None
        revoke_token(session=session, token_id=other_row.id, actor=bob, any_owner=True)
        assert resolve_token(session=session, token=other) is None

        live, _ = issue_token(session=session, user=alice)
        alice.active = False
        session.add(alice)
        session.commit()
        assert resolve_token(session=session, token=live) is None


def test_failed_logins_are_audited_and_counted_until_a_success(seeded: Engine) -> None:
    with Session(seeded) as session:
        since = utcnow() - timedelta(minutes=1)
        for _ in range(3):
            record_login(session=session, username="admin", succeeded=False, channel="web")
        record_login(session=session, username="other", succeeded=False, channel="api")
        count, oldest = recent_failed_logins(session=session, username="admin", since=since)
        assert count == 3 and oldest is not None and since < oldest <= utcnow()
        assert recent_failed_logins(session=session, username="admin", since=utcnow())[0] == 0
        record_login(session=session, username="admin", succeeded=True, channel="web")
        record_login(session=session, username="admin", succeeded=False, channel="web")
        assert recent_failed_logins(session=session, username="admin", since=since)[0] == 1
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.target == "admin"))
        assert list(actions) == ["login_failed"] * 3 + ["login", "login_failed"]
