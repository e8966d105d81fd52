"""Exports, JSON and pages agree on the honest ranks and grades (issue 12, points 1 and 6):
change label, q-value, joint rank set, tier, P(grade) and 临界, on the officials' test
district (three waves, so the latest has an earlier wave to change from)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
from fastapi.testclient import TestClient
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import select

from api.officials.text import official_translator
from api.officials.views import helpers
from api.services.published import grade_of
from api.web.templating import TEMPLATES_DIR
from survey.storage.db import session_scope
from survey.storage.models import Wave
from tests.support.officials_district import LAST, SUPPRESSED, sign_in
from tests.support.staff import engine_of, seed_staff, snapshot_results, store_snapshot

BANDS: list[tuple[str, float | None]] = [("优", 90.0), ("良", 80.0), ("中", 60.0), ("差", None)]


def _csv(client: TestClient, url: str) -> list[dict[str, str]]:
    r = client.get(url)
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


def _blank(v: Any) -> str:
    return "" if v is None else str(v)


def _yes(flag: bool | None) -> str:
    return "" if flag is None else ("是 yes" if flag else "否 no")


def _set(low: int | None, high: int | None) -> str:
    if low is None or high is None:
        return ""
    return str(low) if low == high else f"{low}–{high}"


def test_rankings_export_agrees_with_the_json_label_for_label(
    officials_client: TestClient,
) -> None:
    client = sign_in(officials_client, "admin")
    rows = client.get(f"/api/v1/waves/{LAST}/rankings").json()["communities"]
    exported = {
        r["社区代码 community code"]: r
        for r in _csv(client, f"/api/v1/waves/{LAST}/exports/rankings.csv")
    }
    assert set(exported) == {r["community"] for r in rows}
    labels = set()
    for r in rows:
        e = exported[r["community"]]
        ch = r["change"]
        labels.add(ch["label"])
        assert e["变化 change (up|down|flat|undetermined)"] == _blank(ch["label"])
        zh = e["变化说明 change (zh)"]
        if ch["label"] is not None:
            assert zh.startswith(ch["label_text"]["zh"])
        q = e["q 值 q-value (BH)"]
        assert (q == "") == (ch["q"] is None)
        if ch["q"] is not None:
            assert abs(float(q) - ch["q"]) < 1e-4
        assert e["联合排名区间 joint rank set"] == _set(r["rank_set_low"], r["rank_set_high"])
        assert e["无显著差别组 tier"] == _blank(r["tier"])
        p = e["P(等级) P(grade)"]
        assert (p == "") == (r["grade_p"] is None)
        if r["grade_p"] is not None:
            assert abs(float(p) - r["grade_prob"][r["grade"]]) < 1e-4
        assert e["临界 borderline"] == _yes(r["borderline"])
    assert labels & {"up", "down", "flat"}  # the earlier wave gives real labels
    suppressed = exported[SUPPRESSED]
    assert suppressed["无显著差别组 tier"] == "" and suppressed["P(等级) P(grade)"] == ""
    published = [r for r in rows if not r["suppressed"]]
    assert all(r["tier"] is not None and r["grade_p"] is not None for r in published)
    assert any(r["borderline"] for r in published) and not all(r["borderline"] for r in published)


def test_rankings_xlsx_has_the_same_columns(officials_client: TestClient) -> None:
    client = sign_in(officials_client, "admin")
    r = client.get(f"/api/v1/waves/{LAST}/exports/rankings.xlsx")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    for col in (
        "变化 change (up|down|flat|undetermined)",
        "q 值 q-value (BH)",
        "联合排名区间 joint rank set",
        "无显著差别组 tier",
        "P(等级) P(grade)",
        "临界 borderline",
    ):
        assert col in header


def test_scorecard_export_agrees_with_the_scorecard_json(officials_client: TestClient) -> None:
    client = sign_in(officials_client, "admin")
    code = "CH02-001"
    card = client.get(f"/api/v1/waves/{LAST}/communities/{code}/scorecard").json()
    lines = _csv(client, f"/api/v1/waves/{LAST}/exports/scorecards.csv?community={code}")
    by_code = {r["代码 code"]: r for r in lines}
    width = len(lines[0])
    assert all(len(r) == width and None not in r for r in lines)  # no ragged rows
    overall = by_code["overall"]
    assert overall["变化 change (up|down|flat|undetermined)"] == card["change"]["label"]
    assert overall["联合排名区间 joint rank set"] == _set(
        card["rank"]["rank_set_low"], card["rank"]["rank_set_high"]
    )
    assert overall["无显著差别组 tier"] == str(card["rank"]["tier"])
    assert abs(float(overall["P(等级) P(grade)"]) - card["overall"]["grade_p"]) < 1e-4
    assert overall["临界 borderline"] == _yes(card["overall"]["borderline"])
    for d in card["dimensions"]:
        assert by_code[d["code"]]["变化 change (up|down|flat|undetermined)"] == _blank(
            d["change"]["label"]
        )


def test_pages_show_the_tier_the_rank_set_and_the_borderline_mark(
    officials_client: TestClient,
) -> None:
    client = sign_in(officials_client, "admin")
    rows = client.get(f"/api/v1/waves/{LAST}/rankings").json()["communities"]
    html = client.get(f"/waves/{LAST}?lang=zh").text
    for r in rows:
        if r["tier"] is None:
            continue
        if r["tier_members"] > 1:
            span = f"{r['tier_rank_low']}–{r['tier_rank_high']}"
            want = f"第 {r['tier']} 组（第 {span} 名，组内彼此无显著差别）"
        else:
            want = f"第 {r['tier']} 组（仅此一个社区）"
        assert want in html
    marks = re.findall(r'class="borderline" role="note">临界 P（(.)）= ([\d.]+)', html)
    flagged = [r for r in rows if r["borderline"]]
    assert len(marks) == len(flagged) > 0
    for (grade, p), r in zip(marks, flagged, strict=True):  # both in rank order
        assert grade == r["grade"] and abs(float(p) - r["grade_p"]) < 0.005
    assert "联合排名区间：" in html and "“临界”表示 90% " in html
    card = client.get(f"/waves/{LAST}/communities/CH02-001?lang=zh").text
    assert "联合排名区间" in card and "组内彼此无显著差别" in card
    street = client.get(f"/waves/{LAST}/streets/CH02?lang=en").text
    assert "cannot be told apart" in street or "this community alone" in street


def _render_score(value: float, grade: str | None) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape())
    macro = env.from_string(
        '{% from "_figures.html" import score %}{{ score(h, v, v - 1, v + 1, g) }}'
    )
    return macro.render(h=helpers("zh", official_translator("zh"), BANDS), v=value, g=grade)


def test_display_rule_near_every_band_edge() -> None:
    """A table of values around each edge: the number shown is in the band of the grade shown,
    and that grade is the unrounded value's (the street page's old "60.0 … 差" for 59.989)."""
    for edge in (60.0, 80.0, 90.0):
        for off in (-0.05, -0.011, -0.0049, -1e-9, 0.0, 1e-9, 0.004, 0.05):
            value = edge + off
            grade = grade_of(value, BANDS)
            html = _render_score(value, grade)
            shown, label = re.search(
                r'<strong class="score">([\d.]+)</strong>.*class="grade grade-([^"]+)"', html, re.S
            ).groups()
            assert label == grade
            assert grade_of(float(shown), BANDS) == grade, (value, shown, grade)
    assert ">59.98<" in _render_score(59.989, "差")


def test_public_page_number_and_grade_agree(client: TestClient) -> None:
    """The residents' page prints the overall score by the officials' rule: 79.996 (中) shows
    "79.99", never "80.0"."""
    engine = engine_of(client)
    seed_staff(engine)
    communities = [("C1", "S1", "测试街道", 150, 79.996), ("C3", "S2", "第二街道", 120, 74.06)]
    store_snapshot(engine, snapshot_results(communities))
    with session_scope(engine) as session:
        wave = session.exec(select(Wave).where(Wave.code == "W1")).one()
        wave.status = "closed"
        session.add(wave)
    html = client.get("/p/W1/C1?lang=zh").text
    shown, grade = re.search(
        r'class="pub-score"><strong>([\d.]+)</strong>.*?class="pub-grade">等级 (\S+)</span>',
        html,
        re.S,
    ).groups()
    assert (shown, grade) == ("79.99", "中")
    assert grade_of(float(shown), BANDS) == grade


def test_rankings_sav_has_the_labels_of_the_json(
    officials_client: TestClient, tmp_path: Path
) -> None:
    """The SPSS file: the same communities, the change label coded with value labels, q, tier,
    P(grade) and 临界 as in the JSON."""
    import pyreadstat

    client = sign_in(officials_client, "admin")
    listed = client.get(f"/api/v1/waves/{LAST}/rankings").json()["communities"]
    rows = {r["community"]: r for r in listed}
    r = client.get(f"/api/v1/waves/{LAST}/exports/rankings.sav")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-spss-sav")
    path = tmp_path / "rankings.sav"
    path.write_bytes(r.content)
    frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    assert set(frame["community"]) == set(rows)
    change_labels = meta.variable_value_labels["change"]
    assert change_labels[1.0].startswith("显著提升") and change_labels[4.0].startswith("无法判断")
    codes = {"up": 1.0, "down": 2.0, "flat": 3.0, "undetermined": 4.0}
    for _, e in frame.iterrows():
        j = rows[e["community"]]
        label = j["change"]["label"]
        assert (e["change"] == codes[label]) if label else e["change"] != e["change"]
        if j["change"]["q"] is not None:
            assert abs(e["q_value"] - j["change"]["q"]) < 1e-4
        if j["tier"] is None:
            assert e["tier"] != e["tier"] and e["p_grade"] != e["p_grade"]  # NaN
        else:
            assert int(e["tier"]) == j["tier"]
            assert abs(e["p_grade"] - j["grade_p"]) < 1e-4
            assert e["borderline"] == (1.0 if j["borderline"] else 2.0)
    assert "临界" in meta.column_names_to_labels["borderline"]
