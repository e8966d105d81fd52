"""``meihao user``/``meihao token`` and the demo's accounts, run in-process on a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from survey.storage.models import User
from survey.storage.users import authenticate, resolve_token
from tests.support.factories import seed_minimal
from tests.support.staff import PASSWORD


@pytest.fixture
def cli_db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    from api.settings import get_settings

    monkeypatch.setenv("MEIHAO_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    engine = make_engine(sqlite_url)
    upgrade(engine)
    seed_minimal(engine)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def test_cli_creates_users_and_tokens(cli_db: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    from api.cli.main import main

    assert (
        main(
            [
                "user",
                "create",
                "--username",
                "jd",
                "--role",
                "official",
                "--scope-level",
                "street",
                "--scope-code",
                "S1",
                "--password",
                PASSWORD,
            ]
        )
        == 0
    )
    assert "created official 'jd' (scope: street S1)" in capsys.readouterr().out
    assert (
        main(["user", "create", "--username", "x", "--role", "admin", "--password", "short"]) == 1
    )
    assert "at least 10" in capsys.readouterr().err
    assert (
        main(
            [
                "user",
                "create",
                "--username",
                "y",
                "--role",
                "official",
                "--scope-level",
                "community",
                "--scope-code",
                "NOPE",
                "--password",
                PASSWORD,
            ]
        )
        == 1
    )
    assert "no community with code 'NOPE'" in capsys.readouterr().err
    assert main(["token", "create", "--username", "jd", "--name", "nb"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    with Session(cli_db) as session:
        user = resolve_token(session=session, token=token)
        assert user is not None and user.username == "jd"
    assert main(["token", "create", "--username", "ghost"]) == 1
    assert main(["user", "password", "--username", "jd", "--password", "another-pass-99"]) == 0


def test_demo_seeds_one_account_per_role_once(cli_db: Engine) -> None:
    from api.cli.staff import demo_user_lines, seed_demo_users

    created = seed_demo_users(cli_db)
    assert [(u, what) for u, what, _ in created] == [
        ("admin", "admin (district)"),
        ("researcher", "researcher (district)"),
        ("district", "official (district)"),
        ("street", "official (street S1)"),
        ("community", "official (community C1)"),
    ]
    password = created[0][2]
    assert len(password) >= 10 and password in demo_user_lines(created)[0]
    with Session(cli_db) as session:
        assert authenticate(session=session, username="community", password=password)
        assert password not in str(session.exec(select(User.password_hash)).all())
    assert seed_demo_users(cli_db) == []  # never again once accounts exist


def test_cli_lists_disables_enables_and_revokes(
    cli_db: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.cli.main import main

    for name, role in (("boss", "admin"), ("li", "researcher")):
        args = ["user", "create", "--username", name, "--role", role, "--password", PASSWORD]
        assert main(args) == 0
    assert main(["token", "create", "--username", "li", "--name", "nb"]) == 0
    token = capsys.readouterr().out.split()[-1]
    assert main(["token", "list"]) == 0
    listed = capsys.readouterr().out
    assert "li" in listed and "nb" in listed and token not in listed
    token_id = int(listed.split()[0])

    assert main(["user", "disable", "--username", "li"]) == 0
    assert "'li' is disabled" in capsys.readouterr().out
    with Session(cli_db) as session:
        assert resolve_token(session=session, token=token) is None
        assert authenticate(session=session, username="li", password=PASSWORD) is None
    assert main(["user", "list"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert rows["li"].endswith("disabled") and rows["boss"].endswith("active")
    assert main(["token", "list"]) == 0 and capsys.readouterr().out == ""  # revoked with it

    assert main(["user", "enable", "--username", "li"]) == 0
    with Session(cli_db) as session:
        assert authenticate(session=session, username="li", password=PASSWORD) is not None
        assert resolve_token(session=session, token=token) is None  # stays revoked
    assert main(["user", "disable", "--username", "boss"]) == 1  # the last active admin
    assert "last active admin" in capsys.readouterr().err
    assert main(["user", "disable", "--username", "nobody"]) == 1
    assert main(["token", "revoke", str(token_id)]) == 0  # already revoked: says so, no error
    assert main(["token", "revoke", "99999"]) == 1
    assert "no API token with id 99999" in capsys.readouterr().err
