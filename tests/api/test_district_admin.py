"""The admin pages for running a district: register upload (same rules as the command),
template download, questionnaire preview/diff/publish, waves create/open/close/reopen."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from api.settings import Settings
from survey.storage.models import AuditEvent, Community, Wave
from tests.district.helpers import district_rows, write_xlsx
from tests.support.staff import seed_staff, session_cookie


@pytest.fixture
def admin(client: TestClient, settings: Settings) -> TestClient:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    seed_staff(engine)
    client.cookies.update(session_cookie(engine, settings, "admin"))
    return client


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def _communities(client: TestClient) -> list[str]:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return sorted(c.code for c in session.exec(select(Community)).all() if c.retired_at is None)


def test_upload_the_register(admin: TestClient, tmp_path: Path) -> None:
    token = _csrf(admin, "/admin/district")
    good = write_xlsx(tmp_path / "d.xlsx", district_rows()).read_bytes()
    files = {"file": ("d.xlsx", good, "application/octet-stream")}
    checked = admin.post(
        "/admin/district", data={"csrf_token": token, "dry_run": "true"}, files=files
    )
    assert checked.status_code == 200 and "would change" in checked.text
    assert "S04-003" not in _communities(admin)
    done = admin.post("/admin/district", data={"csrf_token": token}, files=files)
    assert done.status_code == 200 and "12 communities created" in done.text
    assert len([c for c in _communities(admin) if c.startswith("S0")]) == 12
    rows = district_rows()
    rows[3][4] = "别墅区"
    bad = write_xlsx(tmp_path / "bad.xlsx", rows).read_bytes()
    refused = admin.post(
        "/admin/district",
        data={"csrf_token": token},
        files={"file": ("bad.xlsx", bad, "application/octet-stream")},
    )
    assert refused.status_code == 422
    assert (
        "row 4, column E (housing_type)" in refused.text and "nothing was imported" in refused.text
    )
    no_csrf = admin.post("/admin/district", files=files)
    assert no_csrf.status_code == 403


def test_template_download(admin: TestClient) -> None:
    got = admin.get("/admin/district/template.xlsx")
    assert got.status_code == 200
    sheet = load_workbook(io.BytesIO(got.content))["communities"]
    header = [c.value for c in sheet[1]]
    assert header[:6] == [
        "street_code",
        "street_name",
        "community_code",
        "community_name",
        "housing_type",
        "population",
    ]
    assert "18-29|male" in header and "70-plus|female" in header


def test_preview_in_both_languages(admin: TestClient) -> None:
    zh = admin.get("/admin/questionnaires/meihao/1/preview?lang=zh")
    en = admin.get("/admin/questionnaires/meihao/1/preview?lang=en")
    assert zh.status_code == en.status_code == 200
    assert "成华区美好社区居民满意度调查" in zh.text
    assert "Chenghua District Meihao" in en.text
    assert admin.get("/admin/questionnaires").status_code == 200


def test_waves_create_open_close_reopen(admin: TestClient) -> None:
    token = _csrf(admin, "/admin/waves")
    made = admin.post(
        "/admin/waves",
        data={"csrf_token": token, "code": "2026Q3", "questionnaire": "meihao@1"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    again = admin.post(
        "/admin/waves", data={"csrf_token": token, "code": "2026Q3", "questionnaire": "meihao@1"}
    )
    assert again.status_code == 409 and "already exists" in again.text
    assert admin.post("/admin/waves/2026Q3/open", data={"csrf_token": token}).status_code == 200
    with Session(admin.app.state.engine) as session:  # type: ignore[attr-defined]
        assert session.exec(select(Wave).where(Wave.code == "2026Q3")).one().status == "open"
    reopen = admin.post("/admin/waves/W1/reopen", data={"csrf_token": token, "reason": ""})
    assert reopen.status_code == 409  # W1 is open
    with Session(admin.app.state.engine) as session:  # type: ignore[attr-defined]
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert "wave.create" in actions and "wave.open" in actions
