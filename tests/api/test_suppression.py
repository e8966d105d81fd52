"""Suppression everywhere (METHODS.md §6, RELIABILITY.md "Privacy"): below min_n no score, rank
or chart point, with the reason; no aggregate lets a suppressed value be recovered; free text
only from 10 comments up, escaped."""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from survey.storage.models import ScoreSnapshot, Wave
from tests.support.officials_district import (
    COMMENTS_HIDDEN,
    COMMENTS_SHOWN,
    LAST,
    SUPPRESSED,
    SUPPRESSED_STREET,
    sign_in,
)

NEIGHBOUR = "CH02-001"  # a published community in the suppressed community's street
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def admin(officials_client: TestClient) -> TestClient:
    return sign_in(officials_client, "admin")


def latest(client: TestClient) -> ScoreSnapshot:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.exec(
            select(ScoreSnapshot)
            .join(Wave)
            .where(Wave.code == LAST)
            .order_by(col(ScoreSnapshot.id).desc())
        ).first()
        assert row is not None
        return row


def test_json_has_no_figure_for_a_suppressed_community(admin: TestClient) -> None:
    rows = admin.get(f"/api/v1/waves/{LAST}/rankings").json()["communities"]
    row = next(r for r in rows if r["community"] == SUPPRESSED)
    assert row["suppressed"] and row["suppression_reason"] == "样本不足"
    assert row["n"] == 20
    assert all(
        row[k] is None
        for k in ("score", "rank", "rank_low", "rank_high", "ci_low", "ci_high", "grade")
    )
    assert row["dimensions"] == {}
    sc = admin.get(f"/api/v1/waves/{LAST}/communities/{SUPPRESSED}/scorecard").json()
    assert sc["suppressed"] and sc["n"] == 20 and sc["suppression_reason"] == "样本不足"
    assert set(sc["overall"].values()) == {None} and set(sc["osi"].values()) == {None}
    assert sc["rank"]["rank"] is None and sc["rank"]["rank_low"] is None
    assert all(d["score"] is None and d["ci_low"] is None for d in sc["dimensions"])
    # The engine keeps item counts and don't-know rates of suppressed communities; a
    # percentage from 20 people must not be published either.
    assert sc["items"] == [] and sc["composition"] is None and sc["priorities"] is None
    assert sc["trend"][-1]["score"] is None and sc["trend"][-1]["note"]["zh"] == "样本不足"
    assert sc["change"]["delta"] is None and sc["change"]["note"]["zh"] == "样本不足"


def test_html_and_charts_show_the_reason_and_no_point(admin: TestClient) -> None:
    page = admin.get(f"/waves/{LAST}/communities/{SUPPRESSED}").text
    assert "样本不足" in page and "有效样本少于 30 份" in page
    assert 'id="dims"' not in page and 'id="ipa"' not in page  # no dimension or IPA chart
    assert "第 " not in page.split("历次调查趋势")[0]  # no rank anywhere before the trend
    dashboard = admin.get(f"/waves/{LAST}").text
    svg = re.search(r'<svg[^>]*id="ranking".*?</svg>', dashboard, re.S)
    assert svg is not None
    root = ET.fromstring(svg.group(0))
    rows = admin.get(f"/api/v1/waves/{LAST}/rankings").json()["communities"]
    published = sum(not r["suppressed"] for r in rows)
    circles = root.findall(f"{SVG}circle")
    assert len(circles) == published + 1  # one per published community, plus the legend's
    assert "样本不足" in [t.text for t in root.iter(f"{SVG}text")]
    english = admin.get(f"/waves/{LAST}/communities/{SUPPRESSED}?lang=en").text
    assert "insufficient sample" in english


def _planted(results: dict[str, Any]) -> dict[str, Any]:
    """The snapshot as if the engine had leaked the suppressed community's figures."""
    leaked = copy.deepcopy(results)
    row = next(r for r in leaked["communities"] if r["code"] == SUPPRESSED)
    row.update(
        index=97.531,
        se=0.5,
        ci_low=99.0,
        ci_high=100.0,
        rank=1,
        rank_low=1,
        rank_high=1,
        grade="优",
        osi=99.0,
    )
    for d in row["dimensions"].values():
        d.update(score=97.531, ci_low=97.0, ci_high=98.0)
    for s in row["subdimensions"].values():
        s["score"] = 97.531
    for it in row["items"].values():
        it.update(score=97.531, pct_positive=97.531)
    row["priorities"] = {"improve_first": ["D1a"], "keep_up": [], "stated_top": ["D1a"]}
    return leaked


def _outputs(client: TestClient) -> dict[str, str]:
    urls = [
        f"/api/v1/waves/{LAST}/rankings",
        f"/api/v1/waves/{LAST}/rankings?level=street",
        f"/api/v1/waves/{LAST}/communities/{NEIGHBOUR}/scorecard",
        f"/api/v1/waves/{LAST}/communities/{SUPPRESSED}/scorecard",
        f"/api/v1/streets/{SUPPRESSED_STREET}/trend",
        f"/api/v1/communities/{SUPPRESSED}/trend",
        "/api/v1/district/trend",
        f"/api/v1/waves/{LAST}/summary",
        f"/waves/{LAST}",
        f"/waves/{LAST}/streets/{SUPPRESSED_STREET}",
        f"/waves/{LAST}/communities/{NEIGHBOUR}",
        f"/waves/{LAST}/communities/{SUPPRESSED}",
        "/trends",
        f"/trends/streets/{SUPPRESSED_STREET}",
    ]
    out = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        # Only the snapshot's timestamp may differ between the two snapshots.
        text = re.sub(r'"computed_at":"[^"]*"', "", response.text)
        # The sign-out form's CSRF token is signed with a timestamp (the account bar).
        text = re.sub(r'name="csrf_token" value="[^"]*"', "", text)
        out[url] = re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}", "", text)
    return out


def test_no_output_depends_on_a_suppressed_value(admin: TestClient) -> None:
    """Every view is identical whatever the suppressed community's hidden figures are, so no
    subtraction of visible figures from a total can recover them (complementary suppression
    by construction: suppressed values never enter an aggregate)."""
    before = _outputs(admin)
    original = latest(admin)
    with Session(admin.app.state.engine) as session:  # type: ignore[attr-defined]
        session.add(
            ScoreSnapshot(
                wave_id=original.wave_id,
                model_name=original.model_name,
                model_version=original.model_version,
                data_hash=original.data_hash,
                results=_planted(original.results),
            )
        )
        session.commit()
    assert latest(admin).id != original.id
    after = _outputs(admin)
    changed = [url for url in before if before[url] != after[url]]
    assert not changed, changed
    planted = re.compile(r"97\.53|>97\.5<|>97\.5 |97\.5 \(")  # JSON, table cells, text
    leaks = [(u, m.start()) for u, v in after.items() for m in planted.finditer(v)]
    assert not leaks, [after[u][max(0, i - 150) : i + 20] for u, i in leaks[:3]]


def test_street_figures_contain_exactly_the_published_communities(admin: TestClient) -> None:
    """Street total minus the visible communities leaves nothing: the street mean is fully
    explained by the published rows (what a subtraction attack would try to exploit)."""
    street = next(
        s
        for s in admin.get(f"/api/v1/waves/{LAST}/rankings?level=street").json()["streets"]
        if s["street"] == SUPPRESSED_STREET
    )
    rows = [
        r
        for r in admin.get(f"/api/v1/waves/{LAST}/rankings?street={SUPPRESSED_STREET}").json()[
            "communities"
        ]
    ]
    visible = [r for r in rows if not r["suppressed"]]
    assert street["communities"] == len(rows) and street["communities_published"] == len(visible)
    assert street["n_published"] == sum(r["n"] for r in visible)
    # resident-weighted: N = the published communities' register population
    assert street["population"] == sum(r["population"] for r in visible)
    big_n = street["population"]
    residual = street["score"] * big_n - sum(r["population"] * r["score"] for r in visible)
    assert residual == pytest.approx(0.0, abs=1e-6)
    for code in street["dimensions"]:
        dim_residual = street["dimensions"][code] * big_n - sum(
            r["population"] * r["dimensions"][code] for r in visible
        )
        assert dim_residual == pytest.approx(0.0, abs=1e-6)


def test_free_text_needs_ten_comments_and_is_escaped(admin: TestClient) -> None:
    hidden = admin.get(f"/waves/{LAST}/communities/{COMMENTS_HIDDEN}").text
    assert "留言少于 10 条" in hidden
    assert "第0条" not in hidden and "alert(" not in hidden
    shown = admin.get(f"/waves/{LAST}/communities/{COMMENTS_SHOWN}").text
    assert "&lt;script&gt;alert(&#39;社区&#39;)&lt;/script&gt; 第0条" in shown
    assert shown.count("<li>") >= 12
    assert "<script" not in shown
    assert not re.search(r"<[^>]*\s(onerror|onload|onmouseover)\s*=", shown)
