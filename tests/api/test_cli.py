"""The ``meihao`` command as a whole: every sub-command has a handler, and the real command
(``python -m api.cli``, a subprocess: the one CLI test that pays for a new interpreter) starts."""

from __future__ import annotations

import argparse
import subprocess
import sys

from sqlalchemy import inspect

from api.cli.main import MODULES, build_parser
from survey.storage.db import make_engine
from tests.support.live import REPO, server_env


def _leaves(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    """Every runnable sub-command (``db upgrade``, ``model list``, ...) and its parser."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += [(f"{name} {sub}".strip(), p) for sub, p in _leaves(child)]
    return found or [("", parser)]


def test_every_sub_command_has_a_handler() -> None:
    leaves = _leaves(build_parser())
    assert {name.split()[0] for name, _ in leaves} >= {"db", "seed", "serve", "model", "import"}
    for name, parser in leaves:
        assert callable(parser.get_default("handler")), f"meihao {name} has no handler"
    assert all(callable(getattr(module, "add_parsers", None)) for module in MODULES)


def test_the_real_command_runs_as_a_subprocess(sqlite_url: str) -> None:
    env = server_env(sqlite_url)
    usage = subprocess.run(
        [sys.executable, "-m", "api.cli", "--help"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert usage.stdout.startswith("usage: meihao") and "scorecards" in usage.stdout
    upgraded = subprocess.run(
        [sys.executable, "-m", "api.cli", "db", "upgrade"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert upgraded.stdout.strip() == f"database at {sqlite_url} is up to date"
    engine = make_engine(sqlite_url)
    try:
        assert {"wave", "response"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
