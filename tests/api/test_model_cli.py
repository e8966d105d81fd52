"""``meihao model ...`` run in-process (tests/support/cli.py) on a copy of the seeded district:
validate, publish (versions, audit, authors' roles), show, list, retire and a wave's default."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from survey.storage.db import make_engine
from survey.storage.models import AuditEvent, Wave
from tests.support.cli import meihao, run_meihao
from tests.support.live import server_env
from tests.support.research import LATEST, PASSWORD, seeded_database

FIXED = {"D1": 3, "D2": 1, "D3": 1, "D4": 1, "D5": 1, "D6": 3}


@pytest.fixture
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return server_env(seeded_database(tmp_path_factory), MEIHAO_BOOTSTRAP_REPLICATES="10")


def failing(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``meihao`` expecting exit status 1 with a one-line ``error:`` on stderr."""
    result = run_meihao(*args, env=env)
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return result


def model_file(tmp_path: Path, name: str = "team-a", **fields: Any) -> str:
    path = tmp_path / f"{name}-{len(list(tmp_path.iterdir()))}.json"
    definition = {"name": name, "description": "test", "dimension_weights": FIXED, **fields}
    path.write_text(json.dumps(definition), encoding="utf-8")
    return str(path)


def create_user(env: dict[str, str], username: str, role: str) -> None:
    meihao(
        "user", "create", "--username", username, "--role", role, "--password", PASSWORD, env=env
    )


def audit(env: dict[str, str], action: str) -> list[AuditEvent]:
    engine = make_engine(env["MEIHAO_DATABASE_URL"])
    try:
        with Session(engine) as session:
            query = select(AuditEvent).where(AuditEvent.action == action)
            return list(session.exec(query.order_by(AuditEvent.id)))  # type: ignore[arg-type]
    finally:
        engine.dispose()


def test_validate_accepts_a_good_model_and_explains_a_bad_one(
    env: dict[str, str], tmp_path: Path
) -> None:
    ok = meihao("model", "validate", model_file(tmp_path), env=env)
    assert "team-a: valid against the default questionnaire" in ok.stdout
    data_driven = meihao(
        "model", "validate", model_file(tmp_path, dimension_weights={"method": "entropy"}), env=env
    )
    assert "--resolve-wave" in data_driven.stdout

    negative = failing(
        "model", "validate", model_file(tmp_path, dimension_weights={**FIXED, "D1": -1}), env=env
    )
    assert "D1" in negative.stderr
    unknown = failing("model", "validate", model_file(tmp_path, colour="red"), env=env)
    assert "colour" in unknown.stderr
    builtin = failing("model", "validate", model_file(tmp_path, name="equal"), env=env)
    assert "built-in" in builtin.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert "not valid JSON" in failing("model", "validate", str(broken), env=env).stderr
    assert "cannot read" in failing("model", "validate", "missing.json", env=env).stderr


def test_publish_assigns_versions_and_the_audit_names_the_author(
    env: dict[str, str], tmp_path: Path
) -> None:
    create_user(env, "ana", "researcher")
    first = meihao("model", "publish", model_file(tmp_path), "--author", "ana", env=env)
    assert first.stdout.strip() == "published team-a version 1"
    changed = model_file(tmp_path, dimension_weights={**FIXED, "D1": 1}, version="9")
    second = meihao("model", "publish", changed, "--author", "admin", env=env)
    assert second.stdout.strip() == "published team-a version 2"

    events = audit(env, "publish_weight_model")
    assert [(e.actor, e.detail["version"]) for e in events] == [("ana", 1), ("admin", 2)]

    listed = meihao("model", "list", env=env).stdout.splitlines()
    assert [line.split()[:3] for line in listed if line.startswith("team-a")] == [
        ["team-a", "v1", "published"],
        ["team-a", "v2", "published"],
    ]
    assert any(line.startswith("equal ") for line in listed)
    old = json.loads(meihao("model", "show", "team-a", "--version", "1", env=env).stdout)
    assert old["dimension_weights"] == FIXED and old["version"] == 1
    latest = json.loads(meihao("model", "show", "team-a", env=env).stdout)
    assert latest["version"] == 2 and latest["dimension_weights"]["D1"] == 1
    assert "no weight model 'team-b'" in failing("model", "show", "team-b", env=env).stderr


def test_data_driven_models_need_a_wave_and_are_frozen(env: dict[str, str], tmp_path: Path) -> None:
    entropy = model_file(tmp_path, name="ent", dimension_weights={"method": "entropy"})
    unresolved = failing("model", "publish", entropy, "--author", "researcher", env=env)
    assert "resolve_wave" in unresolved.stderr
    out = meihao(
        "model", "publish", entropy, "--author", "researcher", "--resolve-wave", LATEST, env=env
    )
    assert out.stdout.strip() == "published ent version 1 (weights frozen)"
    shown = json.loads(meihao("model", "show", "ent", env=env).stdout)
    assert shown["frozen_from"]["resolved_on"]["wave"] == LATEST


def test_officials_and_unknown_users_cannot_publish(env: dict[str, str], tmp_path: Path) -> None:
    create_user(env, "olga", "official")
    refused = failing("model", "publish", model_file(tmp_path), "--author", "olga", env=env)
    assert "'olga' is an official" in refused.stderr
    unknown = failing("model", "publish", model_file(tmp_path), "--author", "nobody", env=env)
    assert "no active user 'nobody'" in unknown.stderr
    assert audit(env, "publish_weight_model") == []
    assert "team-a" not in meihao("model", "list", env=env).stdout


def test_default_and_retire(env: dict[str, str], tmp_path: Path) -> None:
    meihao("model", "publish", model_file(tmp_path), "--author", "researcher", env=env)
    made = meihao("model", "default", "--wave", LATEST, "team-a", "--author", "admin", env=env)
    assert made.stdout.startswith(f"wave {LATEST} default model: team-a (scored: snapshot ")
    engine = make_engine(env["MEIHAO_DATABASE_URL"])
    try:
        with Session(engine) as session:
            wave = session.exec(select(Wave).where(Wave.code == LATEST)).one()
            assert wave.default_model == "team-a"
    finally:
        engine.dispose()
    [event] = audit(env, "set_default_model")
    assert event.actor == "admin" and event.detail["to"] == "team-a"
    by_official = failing(
        "model", "default", "--wave", LATEST, "equal", "--author", "official", env=env
    )
    assert "'official' is an official" in by_official.stderr

    # The only published version of a wave's default cannot be retired.
    retire = ("model", "retire", "team-a", "1", "--author", "researcher")
    assert "is the default of wave(s)" in failing(*retire, env=env).stderr
    meihao("model", "publish", model_file(tmp_path), "--author", "researcher", env=env)
    retired = meihao(*retire, env=env)
    assert retired.stdout.strip() == "retired team-a version 1"
    [event] = audit(env, "retire_weight_model")
    assert event.actor == "researcher" and event.target == "team-a@1"
    assert "already retired" in failing(*retire, env=env).stderr
    listed = meihao("model", "list", "--status", "retired", env=env).stdout.split()
    assert listed[:3] == ["team-a", "v1", "retired"]
