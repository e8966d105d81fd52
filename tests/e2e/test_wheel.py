"""The wheel works on its own: built from the repository, installed into a fresh virtual
environment and run from outside the repository, it serves the home page, the residents' form
and a scorecard (templates and static files are in the wheel, ``bench`` is not).

The new environment gets the dependencies by a ``.pth`` file naming the site-packages of the
interpreter running the tests (no network, no ``--system-site-packages``); meihao itself comes
only from the wheel, which the test checks before starting the server.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from survey.storage.access import open_link_token
from tests.support.live import REPO, free_port, server_env, start_server, stop_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "correct horse battery"


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _source_copy(target: Path) -> Path:
    """The repository's files (tracked and new, not ignored) without build leftovers in build/."""
    listed = _run(
        "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO
    ).split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _build_wheel(tmp_path: Path) -> Path:
    source = _source_copy(tmp_path / "source")
    out = tmp_path / "dist"
    _run(sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", out, cwd=source)
    [wheel] = out.glob("meihao-*.whl")
    return wheel


def _site_packages() -> list[str]:
    """Where this interpreter finds the dependencies (never the repository itself)."""
    return [
        p
        for p in sys.path
        if p.endswith(("site-packages", "dist-packages")) and Path(p).resolve() != REPO
    ]


def _install(wheel: Path, venv: Path) -> Path:
    _run(sys.executable, "-m", "venv", venv, cwd=venv.parent)
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                     cwd=venv.parent).strip())  # fmt: skip
    (site / "meihao-test-dependencies.pth").write_text(
        "\n".join(_site_packages()) + "\n", encoding="utf-8"
    )
    _run(python, "-m", "pip", "install", "--no-deps", "-q", wheel, cwd=venv.parent)
    return python


def test_the_installed_wheel_serves_home_form_and_scorecard(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert {"templates/base.html", "templates/survey/form.html"} <= set(names)
    assert {"api/static/survey.css", "api/static/survey.js"} <= set(names)
    assert "survey/storage/migrations/env.py" in names
    assert not [n for n in names if n.startswith(("bench/", "tests/"))]

    outside = tmp_path / "elsewhere"  # no repository on the path: only the installed wheel
    outside.mkdir()
    python = _install(wheel, tmp_path / "venv")
    where = _run(python, "-c", "import api, templates; print(api.__file__)", cwd=outside)
    assert Path(where.strip()).is_relative_to(tmp_path / "venv"), where

    env = server_env(f"sqlite:///{tmp_path}/wheel.db", MEIHAO_BOOTSTRAP_REPLICATES="20")
    env["PATH"] = f"{python.parent}:{env.get('PATH', '')}"

    def meihao(*args: str) -> str:
        return _run(python, "-m", "api.cli", *args, cwd=outside, env=env)

    meihao("seed", "--streets", "1", "--communities", "2", "--respondents", "35")
    meihao("score", "--wave", "2026Q2")
    meihao("user", "create", "--username", "ada", "--role", "admin", "--password", PASSWORD)
    token = meihao("token", "create", "--username", "ada").split()[-1]

    server = start_server(
        env,
        port=free_port(),
        log=tmp_path / "server.log",
        command=[str(python), "-m", "api.cli"],
        cwd=outside,
    )
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            home = client.get("/")
            assert home.status_code == 200 and "2026Q2" in home.text
            css = client.get("/static/survey.css")
            assert css.status_code == 200 and css.text.strip()
            with sqlite3.connect(tmp_path / "wheel.db") as conn:
                [community] = conn.execute("SELECT code FROM community ORDER BY code LIMIT 1")
            link = open_link_token(
                secret=env["MEIHAO_SECRET_KEY"], wave_code="2026Q2", community_code=community[0]
            )
            form = client.get(f"/s/{link}")
            assert form.status_code == 200 and 'name="csrf_token"' in form.text

            card = client.get(
                f"/waves/2026Q2/communities/{community[0]}",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert card.status_code == 200 and community[0] in card.text
    finally:
        stop_server(server)
