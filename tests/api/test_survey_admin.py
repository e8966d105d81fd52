"""Making a wave's access material: QR posters and invitation slips, from the admin pages and
from the ``meihao`` command."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.cli.main import main
from api.settings import Settings
from survey.storage.access import hash_code, normalise_code, read_open_link
from survey.storage.models import AuditEvent, Invitation
from tests.support.cli import meihao_environment, settings_env
from tests.support.staff import seed_staff, session_cookie
from tests.support.survey_form import SECRET, read

CODE = re.compile(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}\b")


def engine_of(client: TestClient) -> Any:
    return client.app.state.engine  # type: ignore[attr-defined]


@pytest.fixture
def admin_client(client: TestClient, settings: Settings) -> TestClient:
    seed_staff(engine_of(client))
    client.cookies.update(session_cookie(engine_of(client), settings, "admin"))
    return client


def test_posters_and_slips_are_for_admins_only(client: TestClient, settings: Settings) -> None:
    seed_staff(engine_of(client))
    paths = [
        "/admin/waves/W1/posters",
        "/admin/waves/W1/posters/C1",
        "/admin/waves/W1/communities/C1/invitations",
    ]
    for path in paths:
        assert client.get(path, follow_redirects=False).status_code in (302, 303, 401)
    client.cookies.update(session_cookie(engine_of(client), settings, "district"))
    for path in paths:
        assert client.get(path).status_code == 403
    assert client.post(paths[2], data={"count": "3"}).status_code == 403
    with Session(engine_of(client)) as session:
        assert session.exec(select(Invitation)).first() is None


def test_a_poster_carries_a_working_signed_link(admin_client: TestClient) -> None:
    page = admin_client.get("/admin/waves/W1/posters")
    assert page.status_code == 200
    # seed_staff adds C3 on a second street: one poster per community of the district
    assert page.text.count("<svg") == 3 and "一号社区" in page.text and "三号社区" in page.text
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    links = re.findall(r'<p class="poster-url">([^<]+)</p>', page.text)
    tokens = [link.split("/s/")[1] for link in links]
    assert [read_open_link(secret=SECRET, token=t) for t in tokens] == [
        ("W1", "C1"),
        ("W1", "C2"),
        ("W1", "C3"),
    ]
    form = read(admin_client.get(f"/s/{tokens[1]}"))
    assert form.status == 200 and "二号社区" in form.html
    one = admin_client.get("/admin/waves/W1/posters/C2")
    assert one.text.count("<svg") == 1 and "一号社区" not in one.text
    assert admin_client.get("/admin/waves/W1/posters/NOPE").status_code == 404


def test_slips_show_new_codes_once_and_are_audited(admin_client: TestClient) -> None:
    form = admin_client.get("/admin/waves/W1/communities/C1/invitations")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    path = "/admin/waves/W1/communities/C1/invitations"
    assert admin_client.post(path, data={"count": "3"}).status_code == 403  # no CSRF token
    assert admin_client.post(path, data={"count": "0", "csrf_token": token}).status_code == 422
    slips = admin_client.post(path, data={"count": "3", "batch": "grid 7", "csrf_token": token})
    assert slips.status_code == 200
    codes = sorted(set(CODE.findall(slips.text)))
    assert len(codes) == 3 and slips.text.count("<svg") == 3
    with Session(engine_of(admin_client)) as session:
        stored = {i.token_hash for i in session.exec(select(Invitation)).all()}
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.action == "invitations.create")
        ).one()
    assert stored == {hash_code(c) for c in codes}
    assert (audit.actor, audit.target, audit.detail["count"]) == ("admin", "W1/C1", 3)
    assert "已生成 3 个，已使用 0 个" in admin_client.get(path).text


def _run(settings: Settings, *argv: str) -> int:
    with meihao_environment(settings_env(settings)):
        return main(list(argv))


def test_the_command_writes_posters_and_slips(
    client: TestClient, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "posters"
    assert (
        _run(
            settings,
            "posters",
            "--wave",
            "W1",
            "--out",
            str(out),
            "--base-url",
            "https://survey.example",
        )
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "C1.html",
        "C1.svg",
        "C2.html",
        "C2.svg",
        "index.html",
        "links.csv",
    ]
    with (out / "links.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["community"], r["url"].split("/s/")[0]) for r in rows] == [
        ("C1", "https://survey.example"),
        ("C2", "https://survey.example"),
    ]
    assert read_open_link(secret=SECRET, token=rows[0]["url"].split("/s/")[1]) == ("W1", "C1")
    poster = (out / "C1.html").read_text(encoding="utf-8")
    assert "<style>" in poster and "<svg" in poster and "一号社区" in poster
    assert "http" not in poster.replace(rows[0]["url"], "")  # nothing fetched from anywhere
    capsys.readouterr()

    assert _run(settings, "invitations", "--wave", "W1", "--community", "C2", "--count", "4") == 0
    printed = capsys.readouterr().out.split()
    slips = tmp_path / "slips.html"
    assert (
        _run(
            settings,
            "invitations",
            "--wave",
            "W1",
            "--community",
            "C2",
            "--count",
            "2",
            "--out",
            str(slips),
        )
        == 0
    )
    on_slips = sorted(set(CODE.findall(slips.read_text(encoding="utf-8"))))
    with Session(engine_of(client)) as session:
        stored = {i.token_hash for i in session.exec(select(Invitation)).all()}
    assert len(printed) == 4 and len(on_slips) == 2
    assert stored == {hash_code(normalise_code(c)) for c in printed + on_slips}
    assert _run(settings, "drafts", "--older-than-days", "0") == 0
