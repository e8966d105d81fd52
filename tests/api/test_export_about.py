"""Issue 13, point 4: every XLSX export carries a "说明 About" sheet naming wave, model and
version, interval level and dates; reverse-keyed items are marked in the codebook and in the
SPSS variable and value labels."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pyreadstat
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.exports.responses import REVERSE_MARK
from survey.questionnaire.model import load_default
from tests.api.test_exports import app_engine, as_user, submit_answers  # noqa: F401 (fixture)

REVERSE = [i.code for i in load_default().items if getattr(i, "reverse", False)]


def about_of(response: Any) -> dict[str, str]:
    assert response.status_code == 200, response.text
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[-1] == "说明 About" and len(book.sheetnames) >= 2
    rows = list(book["说明 About"].iter_rows(values_only=True))
    assert rows[0] == ("项目 item", "内容 value")
    return {str(k): str(v) for k, v in rows[1:]}


def test_results_exports_say_what_they_hold(client: TestClient, app_engine: Engine) -> None:  # noqa: F811
    headers = as_user(app_engine, "street")
    for path, what in (("rankings", "社区排名"), ("scorecards", "社区评价报告指标")):
        about = about_of(client.get(f"/api/v1/waves/W1/exports/{path}.xlsx", headers=headers))
        assert about["调查轮次 wave"] == "W1"
        assert about["权重模型 weight model"] == "equal v1"  # tests/support/staff.store_snapshot
        assert about["置信区间 interval level"].endswith("%")
        assert about["内容 contents"].startswith(what)
        assert about["范围 scope"] == "street S1"
        assert "有效样本少于 30 份" in about["不发布规则 suppression rule"]
        assert about["导出时间 generated at"].endswith("UTC")
    one = about_of(
        client.get(
            "/api/v1/waves/W1/exports/scorecards.xlsx?community=C1",
            headers=as_user(app_engine, "admin"),
        )
    )
    assert one["范围 scope"] == "C1"


def test_data_exports_have_an_about_sheet_too(client: TestClient, app_engine: Engine) -> None:  # noqa: F811
    submit_answers(app_engine)
    researcher = as_user(app_engine, "researcher")
    data = about_of(client.get("/api/v1/waves/W1/exports/responses.xlsx", headers=researcher))
    assert data["调查轮次 wave"] == "W1" and data["质量标记行 flagged rows"] == "include"
    book = about_of(client.get("/api/v1/waves/W1/exports/codebook.xlsx", headers=researcher))
    assert "反向" in book["反向题 reverse-keyed"]


def test_reverse_keyed_items_are_marked_in_codebook_and_spss(
    client: TestClient,
    app_engine: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    assert REVERSE, "the default questionnaire has reverse-keyed items"
    submit_answers(app_engine)
    researcher = as_user(app_engine, "researcher")
    got = client.get("/api/v1/waves/W1/exports/codebook.csv", headers=researcher)
    book = {
        r["变量 variable"]: r for r in csv.DictReader(io.StringIO(got.content.decode("utf-8-sig")))
    }
    marked = {name for name, r in book.items() if r["反向计分 reverse-keyed"]}
    assert marked == set(REVERSE)
    first = book[REVERSE[0]]
    codes = dict(part.split(" = ", 1) for part in first["SPSS 数值编码 SPSS codes"].split(" | "))
    assert codes["5"].startswith("[计分 scored 1]") and codes["1"].startswith("[计分 scored 5]")
    assert not codes["9"].startswith("[")
    sav = client.get("/api/v1/waves/W1/exports/responses.sav", headers=researcher)
    path = tmp_path / "w1.sav"
    path.write_bytes(sav.content)
    _frame, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    for code in REVERSE:
        assert labels[code].startswith(REVERSE_MARK), labels[code]
        values = meta.variable_value_labels[code]
        assert values[5.0].startswith("[计分 scored 1]") and values[1.0].startswith(
            "[计分 scored 5]"
        )
        assert not values[9.0].startswith("[")  # "don't know" is missing, not scored
    plain = next(c for c in labels if c.startswith("D1.") and c not in REVERSE)
    assert not labels[plain].startswith(REVERSE_MARK)
    assert not meta.variable_value_labels[plain][5.0].startswith("[")


def test_pages_offer_the_downloads_the_role_may_have(officials_client: TestClient) -> None:
    from tests.support.officials_district import LAST, sign_in

    admin = sign_in(officials_client, "admin").get(f"/waves/{LAST}?lang=zh").text
    official = sign_in(officials_client, "street").get(f"/waves/{LAST}/streets/CH02").text
    card = (
        sign_in(officials_client, "community")
        .get(f"/waves/{LAST}/communities/CH01-001?lang=zh")
        .text
    )
    base = f"/api/v1/waves/{LAST}/exports"
    assert f'href="{base}/rankings.xlsx"' in admin and f'href="{base}/responses.sav"' in admin
    assert f'href="{base}/rankings.xlsx"' in official
    assert "responses." not in official and "codebook." not in official
    assert f'href="{base}/scorecards.xlsx?community=CH01-001"' in card
    assert "rankings." not in card
    # Every offered link works for the reader who sees it, and is an XLSX with an About sheet.
    client = sign_in(officials_client, "community")
    assert about_of(client.get(f"{base}/scorecards.xlsx?community=CH01-001"))["范围 scope"]
