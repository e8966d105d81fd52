"""Issue 12, point 7 on the pages: a quadrant only where it is clear, "未定/undetermined"
otherwise, the importance with its interval and the rule in one sentence; snapshots stored
before (one grand-mean crosshair, point importances) still render."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from fastapi.testclient import TestClient

from tests.api.test_scorecard import OK_COMMUNITY, get, snapshot, store
from tests.support.officials_district import LAST, sign_in

SCORECARD = f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard"


def page(client: TestClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    return response.text


def priority_rows(html: str) -> dict[str, str]:
    """Sub-dimension code → the quadrant cell of the scorecard's priority table."""
    table = html.split('class="data compact priority-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r"\((D\d[a-z])\)</th>.*?<td class=\"quadrant[^\"]*\">([^<]*)</td>", table, re.S
    )
    return {code: html_lib.unescape(q).strip() for code, q in rows}


def test_undetermined_quadrants_show_as_such(officials_client: TestClient) -> None:
    admin = sign_in(officials_client, "admin")
    sc = get(admin, SCORECARD)
    pri = sc["priorities"]
    assert pri["per_subdimension"] and pri["performance_cut"] is None
    results = snapshot(admin, LAST)
    row = next(r for r in results["communities"] if r["code"] == OK_COMMUNITY)
    stored = row["priorities"]["quadrants"]
    points = {p["code"]: p for p in pri["points"]}
    assert set(points) == set(stored)
    undetermined = [c for c, q in stored.items() if q == "undetermined"]
    assert undetermined, "the fixture district has sub-dimensions that are not clear"
    for c, q in stored.items():
        p = points[c]
        if q == "undetermined":
            assert p["quadrant"] == -1 and p["quadrant_label"] == {
                "zh": "未定",
                "en": "undetermined",
            }
        else:
            assert p["quadrant"] >= 0 and p["quadrant_label"]["zh"] != "未定"
        district = results["priorities"]
        assert p["importance_low"] == district["importance_low"][c]
        assert p["importance_high"] == district["importance_high"][c]
        assert p["performance_cut"] == district["performance_cuts"][c]
    html = page(admin, f"/waves/{LAST}/communities/{OK_COMMUNITY}")
    cells = priority_rows(html)
    assert set(cells) == set(stored)
    for c in undetermined:
        assert cells[c] == "未定"
    assert "象限判定：" in html and "否则标为“未定”。" in html
    # The importance is shown with its interval (percent of the explained variance).
    c = undetermined[0]
    lo, hi = 100 * points[c]["importance_low"], 100 * points[c]["importance_high"]
    assert f"{100 * points[c]['importance']:.1f}% ({lo:.1f}–{hi:.1f}%)" in html
    en = page(admin, f"/waves/{LAST}/communities/{OK_COMMUNITY}?lang=en")
    assert priority_rows(en)[c] == "undetermined" and "Quadrants: importance is" in en


def test_dashboard_shows_importance_intervals_and_the_rule(officials_client: TestClient) -> None:
    admin = sign_in(officials_client, "admin")
    summary = get(admin, f"/api/v1/waves/{LAST}/summary")["priorities"]
    rows = summary["importance"]
    assert [r["importance"] for r in rows] == sorted((r["importance"] for r in rows), reverse=True)
    district = snapshot(admin, LAST)["priorities"]
    for r in rows:
        assert r["side"] == district["importance_side"][r["code"]]
    html = page(admin, f"/waves/{LAST}")
    assert "各分项的重要性（全区）" in html and "象限判定：" in html
    if any(r["side"] == 0 for r in rows):
        assert "重要性未定" in html


def old_shape(results: dict[str, Any]) -> dict[str, Any]:
    """The priorities as snapshots stored them before issue 12."""
    district = results["priorities"]
    results["priorities"] = {
        "importance_method": "correlation with the OSI across respondents",
        "importance": district["importance"],
        "rows_used": district["rows_used"],
        "performance_cut": 70.0,
    }
    for row in results["communities"]:
        if row.get("priorities"):
            row["priorities"] = {
                k: row["priorities"][k]
                for k in ("improve_first", "keep_up", "stated_top")
                if k in row["priorities"]
            }
    return results


def test_snapshots_stored_before_still_render(officials_client: TestClient) -> None:
    admin = sign_in(officials_client, "admin")
    store(admin, LAST, old_shape(snapshot(admin, LAST)))
    pri = get(admin, SCORECARD)["priorities"]
    assert pri["performance_cut"] == 70.0 and not pri.get("per_subdimension")
    assert all(p["quadrant"] in (0, 1, 2, 3, -1) for p in pri["points"])
    html = page(admin, f"/waves/{LAST}/communities/{OK_COMMUNITY}")
    assert "priority-table" not in html and 'id="ipa" role="img"' in html
    summary = get(admin, f"/api/v1/waves/{LAST}/summary")["priorities"]
    assert summary.get("importance") is None and summary.get("rule") is None
    assert "象限判定" not in page(admin, f"/waves/{LAST}")


def test_a_determined_quadrant_is_shown_by_name(officials_client: TestClient) -> None:
    admin = sign_in(officials_client, "admin")
    results = snapshot(admin, LAST)
    row = next(r for r in results["communities"] if r["code"] == OK_COMMUNITY)
    row["priorities"]["quadrants"]["D2b"] = "priority"  # as the engine stores a clear cell
    row["priorities"]["improve_first"] = ["D2b"]
    store(admin, LAST, results)
    pri = get(admin, SCORECARD)["priorities"]
    point = next(p for p in pri["points"] if p["code"] == "D2b")
    assert point["quadrant"] == 0 and point["quadrant_label"]["zh"] == "重点改进"
    assert [p["code"] for p in pri["improve_first"]] == ["D2b"]
    cells = priority_rows(page(admin, f"/waves/{LAST}/communities/{OK_COMMUNITY}"))
    assert cells["D2b"] == "重点改进"
