"""schemathesis over the real server's own OpenAPI document (issue 16, "schemathesis in CI").

The server (``meihao serve`` on a temporary SQLite file with a stored snapshot, so read routes
reach their 200s) is driven by schemathesis' command line with a fixed seed and a bounded number
of examples per operation, once per kind of caller: anonymous, an admin (a token from
``meihao token create``) and a community official (scope-limited: 403s and 404s). The checks:
no 5xx (``not_a_server_error``), no status the document does not list
(``status_code_conformance``) and bodies that match the documented schemas
(``response_schema_conformance``). Every operation of the document is tested, including routes
added later, since the list comes from the running server.

Bounded: about a minute on two busy cores (``EXAMPLES`` per operation). Needs nothing optional,
so it always runs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from tests.support.factories import seed_minimal
from tests.support.live import meihao, running_server, server_env
from tests.support.staff import bearer, seed_staff, store_snapshot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SEED = 16
EXAMPLES = 15
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
TOKENS = "^/api/v1/tokens"  # revoking its own token would end a signed-in run half way

# Each ``POST /api/v1/tokens`` for an unknown username costs a production argon2 verification
# until the per-address throttle answers 429: a few examples show 201/401/422/429 alike.
CONFIG = """
[[operations]]
include-path = "/api/v1/tokens"
include-method = "POST"
generation.max-examples = 5
phases.coverage.enabled = false
"""


def schemathesis(
    server_url: str, workdir: Path, *options: str, headers: dict[str, str] | None = None
) -> tuple[str, int]:
    """Run schemathesis; returns its output and how many operations it tested."""
    config = workdir / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{server_url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--output-truncate",
        "true",
        *options,
    ]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    run = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=600, check=False
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"schemathesis found problems ({command[7:]}):\n{output[-12000:]}"
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    assert selected and tested, output[-3000:]
    assert tested.group(1) == selected.group(1), output[-3000:]  # none skipped or errored
    return output, int(tested.group(1))


def test_the_running_server_keeps_its_openapi_document(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/schemathesis.db"
    engine = make_engine(url)
    upgrade(engine)
    seed_minimal(engine)
    seed_staff(engine)
    store_snapshot(engine)
    community = bearer(engine, "community")
    disposable = bearer(engine, "admin")
    engine.dispose()
    env = server_env(url, MEIHAO_SUBMIT_RATE_PER_MINUTE="100000")
    created = meihao("token", "create", "--username", "admin", "--name", "schemathesis", env=env)
    admin = {"Authorization": f"Bearer {created.stdout.split()[-1]}"}

    with running_server(env, log=tmp_path / "server.log") as server:
        document = httpx.get(f"{server.url}/openapi.json").json()
        operations = sum(len(ops) for ops in document["paths"].values())
        token_operations = sum(
            len(ops) for p, ops in document["paths"].items() if re.match(TOKENS, p)
        )

        _, tested = schemathesis(server.url, tmp_path)
        assert tested == operations

        output, tested = schemathesis(
            server.url, tmp_path, "--exclude-path-regex", TOKENS, headers=admin
        )
        assert tested == operations - token_operations
        # Signed in throughout: no operation answered only 401/403.
        assert "Authentication failed" not in output, output[-3000:]
        assert httpx.get(f"{server.url}/api/v1/me", headers=admin).status_code == 200

        _, tested = schemathesis(
            server.url, tmp_path, "--exclude-path-regex", TOKENS, headers=community
        )
        assert tested == operations - token_operations

        # Revoking tokens signed in, with a token that may well revoke itself.
        _, tested = schemathesis(
            server.url, tmp_path, "--include-path", "/api/v1/tokens/{token_id}", headers=disposable
        )
        assert tested == 1
