"""docs/deploy.md, followed step by step on SQLite in a temporary directory.

The commands are read from the page's own ``sh`` blocks, not copied here: each runs as written,
with the machine-specific parts replaced (``SUBSTITUTIONS``: paths, the port and public address,
the secret key and password, the wave's dates), and a substitution the page no longer contains
fails the test, so page and test cannot drift apart. ``meihao`` commands run in-process from the
temporary directory, so they read its ``.env`` as the page says; ``meihao serve`` is the real
server process; ``mkdir``, ``sqlite3``, ``cp`` and ``curl`` run in bash. Between the first wave
(§4) and closing it (§5) residents' answers arrive over HTTP; after the backup and the restore
into a new file (§7) a server on the restored file must serve the same ranking.

Installation (§1) is the test environment itself; §6 (nginx) and PostgreSQL's ``pg_dump`` are
not run here (the PostgreSQL path is tests/e2e/test_real_district_e2e.py).
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import secrets
import shlex
import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from tests.conftest import skip_or_fail
from tests.district.helpers import district_rows, write_xlsx
from tests.support.cli import run_meihao
from tests.support.factories import complete_answers, new_client_id
from tests.support.live import REPO, LiveServer, free_port, start_server, stop_server

pytestmark = pytest.mark.e2e

DOC = REPO / "docs" / "deploy.md"
PASSWORD = "correct horse battery staple"
BEIJING = timezone(timedelta(hours=8))
# Test-only settings appended to the page's .env: fewer bootstrap replicates (speed) and no
# per-address submit limit (every answer here comes from 127.0.0.1).
RESPONDENTS = 34  # per community: the 30 a published score needs, and a margin
TEST_SETTINGS = ("MEIHAO_BOOTSTRAP_REPLICATES=100", "MEIHAO_SUBMIT_RATE_PER_MINUTE=100000")


def doc_blocks() -> dict[str, list[list[str]]]:
    """Section heading → its ``sh`` blocks → their lines (blank lines left out)."""
    sections: dict[str, list[list[str]]] = {}
    heading = ""
    block: list[str] | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if block is None and line.startswith("## "):
            heading = line[3:].strip()
            sections.setdefault(heading, [])
        elif block is None and line.strip() == "```sh":
            block = []
        elif block is not None and line.strip() == "```":
            sections[heading].append(block)
            block = None
        elif block is not None and line.strip():
            block.append(line)
    return sections


def section(blocks: dict[str, list[list[str]]], number: int) -> list[list[str]]:
    [found] = [b for title, b in blocks.items() if title.startswith(f"{number}. ")]
    return found


def without_comment(line: str) -> str:
    return re.sub(r"\s+#\s.*$", "", line).strip()


class Deployment:
    """The temporary machine: its directory, substitutions, and how each command runs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        now = datetime.now(UTC).astimezone(BEIJING)
        self.substitutions = {
            "/var/lib/meihao": str(root / "var"),
            "/backup": str(root / "backup"),
            "https://survey.example.gov.cn": self.url,
            "MEIHAO_SECRET_KEY=...": f"MEIHAO_SECRET_KEY={secrets.token_urlsafe(48)}",
            "--password '...'": f"--password '{PASSWORD}'",
            "district.xlsx": str(root / "district.xlsx"),
            "--out posters/": f"--out {root / 'posters'}",
            "--port 8000": f"--port {self.port}",
            # The wave is open now and closes tomorrow (Beijing time, as the page writes it).
            "2026-07-01T08:00": f"{now - timedelta(hours=1):%Y-%m-%dT%H:%M}",
            "2026-07-31T20:00": f"{now + timedelta(days=1):%Y-%m-%dT%H:%M}",
        }
        self.used: set[str] = set()
        self.token = ""  # what `meihao token create` printed (the page writes mh_…)
        self.servers: list[LiveServer] = []

    def substitute(self, text: str) -> str:
        for old, new in self.substitutions.items():
            if old in text:
                self.used.add(old)
                text = text.replace(old, new)
        return text.replace("mh_…", self.token) if self.token else text

    def env_file(self, lines: list[str], *, leave_out: tuple[str, ...] = ()) -> None:
        kept = [self.substitute(x) for x in lines if not x.startswith(leave_out)]
        (self.root / ".env").write_text("\n".join([*kept, *TEST_SETTINGS]) + "\n", "utf-8")

    def run(self, line: str) -> str:
        """One command line of the page; returns its stdout."""
        outputs = [self._one(part.strip()) for part in self.substitute(line).split(" && ")]
        return "\n".join(outputs)

    def _one(self, command: str) -> str:
        words = shlex.split(command)
        prefix = {}
        while words and re.fullmatch(r"MEIHAO_[A-Z_]+=.*", words[0]):
            key, _, value = words.pop(0).partition("=")
            prefix[key] = value
        if words[0] == "meihao" and words[1] == "serve":
            assert words[2:] == ["--host", "127.0.0.1", "--port", str(self.port)], command
            self.servers.append(self.serve())
            return ""
        if words[0] == "meihao":
            result = run_meihao(*words[1:], env=prefix)
            assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
            if words[1:3] == ["token", "create"]:
                self.token = result.stdout.split()[-1]
            return result.stdout
        done = subprocess.run(
            ["bash", "-c", command], cwd=self.root, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def serve(self, port: int | None = None, **env: str) -> LiveServer:
        """``meihao serve`` from the directory, its settings from ``.env`` (and ``env``)."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
        port = port or self.port
        return start_server(
            {**clean, **env}, port=port, log=self.root / f"server-{port}.log", cwd=self.root
        )


def _answers(level: int, rng: random.Random) -> dict[str, object]:
    """A resident of a community whose answers centre on ``level`` (2–4; varied, so the default
    exclusion policy keeps nearly all of them: no duplicates, rarely straight-lined)."""
    answers = complete_answers(likert=level, rating=2 * level)
    for code, value in list(answers.items()):
        if isinstance(value, int) and 1 <= value <= 5 and code[:1] == "D":
            answers[code] = level + rng.choice((-1, 0, 1))
    return answers


def test_deploy_md_step_by_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for tool in ("sqlite3", "curl"):  # what the page's commands call besides meihao
        if shutil.which(tool) is None:
            skip_or_fail(f"{tool} is not installed (apt-get install {tool})")
    blocks = doc_blocks()
    machine = Deployment(tmp_path)
    monkeypatch.chdir(tmp_path)  # where the page's .env is read from
    for key in [k for k in os.environ if k.startswith("MEIHAO_")]:
        monkeypatch.delenv(key)
    rows = district_rows(n_streets=2, per_street=2)
    write_xlsx(tmp_path / "district.xlsx", rows)
    codes = [str(r[2]) for r in rows[1:]]

    # §2 Configure: the page's block is the .env. §3 Database.
    [configure] = section(blocks, 2)
    assert all(re.match(r"MEIHAO_[A-Z_]+=", x) for x in configure), configure
    [database] = section(blocks, 3)
    machine.env_file(configure, leave_out=("MEIHAO_ORGANISER_",))
    for line in database:
        machine.run(without_comment(line))
    # `meihao check` fails while residents would see the placeholder, and passes once set.
    unready = run_meihao("check", env={})
    assert unready.returncode == 1 and "missing: MEIHAO_ORGANISER_NAME" in unready.stdout
    machine.env_file(configure)

    servers: list[LiveServer] = []
    try:
        # §4 The first wave, ending with the server running.
        [first_wave] = section(blocks, 4)
        assert without_comment(first_wave[-1]).startswith("meihao serve")
        for line in first_wave:
            out = machine.run(without_comment(line))
            if line.startswith("meihao check"):
                assert out.rstrip().endswith("ready") and "MEIHAO_SECRET_KEY" in out, out
        servers = machine.servers
        with (tmp_path / "posters" / "links.csv").open(encoding="utf-8-sig") as handle:
            links = {row["community"]: row["url"] for row in csv.DictReader(handle)}
        assert sorted(links) == codes and all(
            u.startswith(machine.url + "/s/") for u in links.values()
        )

        # Residents answer (through the poster link's page, and an app with an entry token).
        with httpx.Client(base_url=machine.url, timeout=30) as resident:
            page = resident.get(links[codes[0]][len(machine.url) :], follow_redirects=True)
            assert page.status_code == 200 and "[联系人及电话]" not in page.text
            assert "成华区社区发展治理委员会" in page.text  # the organiser from the page's .env
        entry = run_meihao("token", "create", "--username", "admin", "--name", "entry", env={})
        entry_token = entry.stdout.split()[-1]
        rng = random.Random(7)
        level = {code: k % 3 + 2 for k, code in enumerate(codes)}
        with httpx.Client(
            base_url=machine.url, timeout=30, headers={"Authorization": f"Bearer {entry_token}"}
        ) as app:
            for code in codes:
                for _ in range(RESPONDENTS):
                    body = {
                        "wave": "2026Q3",
                        "community": code,
                        "client_id": new_client_id(),
                        "answers": _answers(level[code], rng),
                    }
                    sent = app.post("/api/v1/responses", json=body)
                    assert sent.status_code == 201, sent.text

        # §5 Closing the wave and reading the ranking (curl, with the token just printed).
        [closing] = section(blocks, 5)
        ranking_text = ""
        for line in closing:
            ranking_text = machine.run(without_comment(line))
        ranking = json.loads(ranking_text)
        by_code = {r["community"]: r for r in ranking["communities"]}
        # Published (30 valid answers at least) and ordered as the residents answered.
        assert sorted(by_code) == codes
        assert all(30 <= r["n"] <= RESPONDENTS and r["score"] is not None for r in by_code.values())
        ordered = sorted(codes, key=lambda c: by_code[c]["score"], reverse=True)
        assert [level[c] for c in ordered] == sorted(level.values(), reverse=True)

        # §7 Back up while the server runs, restore into a new file, look at it.
        backup, restore = section(blocks, 7)[:2]
        for line in backup:
            machine.run(without_comment(line))
        assert len(list((tmp_path / "backup").glob("meihao-*.db"))) == 1
        looked = [machine.run(without_comment(line)) for line in restore]
        restored_db = tmp_path / "var" / "restored.db"
        assert restored_db.exists()
        assert "2026Q3" in looked[1] and "closed" in looked[1]
        assert all(code in looked[2] for code in codes)

        # A server on the restored file (the environment wins over .env) serves the same ranking.
        other = machine.serve(free_port(), MEIHAO_DATABASE_URL=f"sqlite:///{restored_db}")
        servers.append(other)
        with other.client(headers={"Authorization": f"Bearer {machine.token}"}) as staff:
            again = staff.get("/api/v1/waves/2026Q3/rankings")
        assert again.status_code == 200 and again.json() == ranking
    finally:
        for server in servers:
            stop_server(server)

    unused = set(machine.substitutions) - machine.used
    assert not unused, f"docs/deploy.md no longer contains {sorted(unused)}: update this test"
