"""A real district from an empty database, without the synthetic seeder: register, questionnaire
version, wave, poster link, residents' answers over HTTP, closing, ranking — SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from openpyxl import load_workbook

from api.cli.main import main
from tests.district.helpers import district_rows, write_xlsx
from tests.support.factories import complete_answers, new_client_id
from tests.support.jobs import scored_snapshot
from tests.support.live import LiveServer, free_port, server_env, start_server, stop_server
from tests.support.survey_form import fill_until

pytestmark = pytest.mark.e2e

NEW_LABEL = "小区环境干净整洁（改写后的题目）"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/district.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def cli_env(
    empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The environment of the CLI (in-process) and of the server (a subprocess): the same
    database, secret key and public address, as on a real deployment."""
    from api.settings import get_settings

    port = free_port()
    env = server_env(
        empty_db,
        MEIHAO_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        MEIHAO_SUBMIT_RATE_PER_MINUTE="100000",
        MEIHAO_JOBS_IN_PROCESS="true",  # the server computes the final snapshot (no worker here)
        MEIHAO_PORT=str(port),
        MEIHAO_SECRET_FILE=str(tmp_path / "secret.key"),
    )
    for key in [k for k in os.environ if k.startswith("MEIHAO_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("MEIHAO_"):
            monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


def _edit_label(path: Path, code: str, label: str) -> None:
    book = load_workbook(path)
    sheet = book["survey"]
    header = [c.value for c in sheet[1]]
    name, zh = header.index("name"), header.index("label::zh")
    row = next(r for r in sheet.iter_rows(min_row=2) if r[name].value == code)
    row[zh].value = label
    book.save(path)


def test_a_real_district_from_an_empty_database(cli_env: dict[str, str], tmp_path: Path) -> None:
    assert main(["db", "upgrade"]) == 0
    rows = district_rows(n_streets=4, per_street=3)
    codes = [r[2] for r in rows[1:]]
    assert main(["district", "import", str(write_xlsx(tmp_path / "district.xlsx", rows))]) == 0

    form = tmp_path / "meihao.xlsx"
    assert (
        main(["questionnaire", "export", "meihao", "--format", "xlsform", "--out", str(form)]) == 0
    )
    _edit_label(form, "D1.1", NEW_LABEL)
    assert main(["questionnaire", "import", str(form)]) == 0
    assert main(["questionnaire", "publish", "meihao", "--version", "2"]) == 0
    # The scripted answers repeat exactly; "none" keeps them all (the default drops duplicates).
    assert (
        main(["wave", "create", "2026Q3", "--questionnaire", "meihao@2", "--exclusion", "none"])
        == 0
    )
    assert main(["wave", "open", "2026Q3"]) == 0
    assert main(["check"]) == 0

    posters = tmp_path / "posters"
    assert main(["posters", "--wave", "2026Q3", "--out", str(posters)]) == 0
    with (posters / "links.csv").open(encoding="utf-8-sig") as handle:
        links = {row["community"]: row["url"] for row in csv.DictReader(handle)}
    assert sorted(links) == codes
    target = codes[4]
    link = links[target]
    assert link.startswith(cli_env["MEIHAO_PUBLIC_BASE_URL"] + "/s/")

    assert (
        main(
            [
                "user",
                "create",
                "--username",
                "admin1",
                "--role",
                "admin",
                "--scope-level",
                "district",
                "--password",
                "correct horse battery",
            ]
        )
        == 0
    )
    token = _token()

    # Residents' levels per community: community k answers k mod 5 + 1 on every Likert item.
    level = {code: k % 5 + 1 for k, code in enumerate(codes)}
    with _server(cli_env, tmp_path) as server:
        assert link.startswith(server.url)
        path = link[len(server.url) :]
        with server.client(follow_redirects=True) as resident:
            first = resident.get(path)
            assert first.status_code == 200 and "测试主办方（028-00000000）" in first.text
            assert "[联系人及电话]" not in first.text
            answers = complete_answers(likert=level[target], rating=5)
            second = fill_until(resident, path, answers, pages=1)
            assert NEW_LABEL in second.html  # the published v2, as residents see it
            done = fill_until(resident, path, answers)
            assert "提交成功" in done.html, done.html[:2000]
            page = resident.get(path + "?new=1")
            assert page.status_code == 200
        # An app posting through the admin's token (an enumerator would do the same in scope).
        with server.client(headers={"Authorization": f"Bearer {token}"}) as api:
            for code in codes:
                for _ in range(31 if code != target else 30):
                    body = {
                        "wave": "2026Q3",
                        "community": code,
                        "client_id": new_client_id(),
                        "answers": complete_answers(likert=level[code], rating=2 * level[code]),
                    }
                    sent = api.post("/api/v1/responses", json=body)
                    assert sent.status_code == 201, sent.text

        auth = {"Authorization": f"Bearer {token}"}
        with server.client(headers=auth) as staff:
            closed = staff.post("/api/v1/waves/2026Q3/close")
            scored_snapshot(staff, closed)  # the final snapshot is a job: wait for it
            late = {
                "wave": "2026Q3",
                "community": target,
                "client_id": new_client_id(),
                "answers": complete_answers(),
            }
            refused = staff.post("/api/v1/responses", json=late)
            assert refused.status_code == 409 and "survey period" in refused.json()["detail"]
            ranking = staff.get("/api/v1/waves/2026Q3/rankings")
            assert ranking.status_code == 200, ranking.text
    rows_out = ranking.json()["communities"]
    assert sorted(r["community"] for r in rows_out) == codes
    by_code = {r["community"]: r for r in rows_out}
    assert by_code[target]["n"] == 31
    # Higher answers, higher scores: the ranking follows the levels the residents gave.
    ordered = sorted(codes, key=lambda c: by_code[c]["score"], reverse=True)
    assert [level[c] for c in ordered] == sorted((level[c] for c in codes), reverse=True)


@contextmanager
def _server(env: dict[str, str], tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(env, port=int(env["MEIHAO_PORT"]), log=tmp_path / "server.log")
    try:
        yield server
    finally:
        stop_server(server)


def _token() -> str:
    out = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(out):
        assert main(["token", "create", "--username", "admin1"]) == 0
    return out.getvalue().split()[-1]
