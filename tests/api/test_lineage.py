"""A merged community's trend follows its predecessors (api/services/lineage.py), on known
numbers: two communities of the officials' district merge before the last wave."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session, select

from api.services.lineage import combined
from api.services.read_models import SnapshotRef, parse_results
from api.services.snapshot_store import clear_cache
from api.services.snapshots import compute_snapshot
from survey.storage.models import Community
from tests.api.test_scorecard import get, snapshot
from tests.support.officials_district import LAST, WAVES, sign_in

OLD = ("CH01-001", "CH01-002")
MERGED = "CH01-900"
Z90 = 1.6448536269514722


def merge(client: TestClient) -> dict[str, int]:
    """Merge OLD into MERGED in the register, move the last wave's answers, rescore it."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        old = [session.exec(select(Community).where(Community.code == c)).one() for c in OLD]
        margins: dict[str, float] = {}
        for c in old:
            for cell, v in c.margins.items():
                margins[cell] = margins.get(cell, 0.0) + v
        merged = Community(
            code=MERGED,
            name="合并后的社区",
            street_id=old[0].street_id,
            housing_type=old[0].housing_type,
            population=sum(c.population for c in old),
            margins=margins,
            predecessors=[{"code": c.code, "share": 1.0} for c in old],
        )
        session.add(merged)
        for c in old:
            c.retired_at = datetime.now(UTC)
            session.add(c)
        session.commit()
        populations = {c.code: c.population for c in old}
        ids = [c.id for c in old]
        wave_id = (
            session.connection()
            .execute(text("SELECT id FROM wave WHERE code = :c"), {"c": LAST})
            .scalar()
        )
        session.connection().execute(
            text(
                "UPDATE response SET community_id = :new WHERE wave_id = :w AND community_id IN "
                f"({ids[0]}, {ids[1]})"
            ),
            {"new": merged.id, "w": wave_id},
        )
        session.commit()
        compute_snapshot(session=session, wave_code=LAST, model_name=None, bootstrap=50, actor="t")
    clear_cache()
    return populations


def predecessors_combined(results: dict[str, Any], population: dict[str, int]) -> Any:
    rows = {r["code"]: r for r in results["communities"]}
    w = np.array([population[c] for c in OLD], dtype=float)
    w /= w.sum()
    score = float(w @ [rows[c]["index"] for c in OLD])
    se = float(np.sqrt(w**2 @ [rows[c]["se"] ** 2 for c in OLD]))
    return score, se


def test_a_merged_community_follows_its_predecessors(officials_client: TestClient) -> None:
    admin = sign_in(officials_client, "admin")
    population = merge(admin)
    trend = get(admin, f"/api/v1/communities/{MERGED}/trend")
    points = trend["points"]
    for wave, point in zip(WAVES[:-1], points[:-1], strict=True):
        score, se = predecessors_combined(snapshot(admin, wave), population)
        assert point["score"] == pytest.approx(score, abs=1e-9)
        assert point["se"] == pytest.approx(se, abs=1e-9)
        assert point["ci_high"] == pytest.approx(score + Z90 * se, abs=1e-9)
        assert point["lineage"] == list(OLD) and point["note_code"] == "lineage"
    last = next(r for r in snapshot(admin, LAST)["communities"] if r["code"] == MERGED)
    assert points[-1]["score"] == last["index"] and points[-1]["lineage"] == []

    before, se_before = predecessors_combined(snapshot(admin, WAVES[-2]), population)
    change = trend["changes"][-1]
    assert change["delta"] == pytest.approx(last["index"] - before, abs=1e-9)
    assert change["se"] == pytest.approx(float(np.hypot(last["se"], se_before)), abs=1e-9)
    assert change["lineage"] == list(OLD) and change["label"] in ("up", "down", "flat")
    assert change["q"] is not None  # it is in the report's BH family
    district = get(admin, "/api/v1/district/trend")
    row = next(r for r in district["communities"] if r["code"] == MERGED)
    assert row["last_change"] == change
    assert set(row["last_dimension_changes"]) == set(trend["dimension_changes"])
    for node, series in trend["dimension_changes"].items():
        assert series[-1]["lineage"] == list(OLD), node
    page = admin.get(f"/trends/communities/{MERGED}?lang=zh").text
    assert "由前身社区按人口加权合并计算" in page


@settings(max_examples=30, deadline=None)
@given(share=st.floats(0.05, 1.0), n=st.integers(30, 5000))
def test_a_split_off_community_starts_from_its_predecessors_figure(share: float, n: int) -> None:
    """One predecessor: the combination is its figure, whatever share of it came over."""
    results = {
        "provenance": {"ci_level": 0.9},
        "codes": {"dimensions": ["D1"]},
        "communities": [
            {
                "code": "P",
                "n": n,
                "suppressed": False,
                "index": 70.0,
                "se": 1.5,
                "note": None,
                "n_eff": None,
                "deff": None,
                "ci_low": 67.5,
                "ci_high": 72.5,
                "rank": 1,
                "rank_low": 1,
                "rank_high": 1,
                "grade": "中",
                "osi": None,
                "osi_se": None,
                "osi_ci_low": None,
                "osi_ci_high": None,
                "dimensions": {"D1": {"score": 64.0, "se": 2.0, "ci_low": 0, "ci_high": 0}},
                "subdimensions": {},
                "items": {},
            }
        ],
        "community_meta": [{"code": "P", "population": n * 10}],
    }
    ref = SnapshotRef(1, "W", "equal", 1, "x", datetime.now(UTC))
    view = parse_results(ref, results)
    # Weights normalise to one up to rounding (share/share), so compare to a tolerance.
    assert combined(view, (("P", share),)) == pytest.approx((70.0, 1.5), rel=1e-12)
    assert combined(view, (("P", share),), "D1") == pytest.approx((64.0, 2.0), rel=1e-12)
    assert combined(view, (("P", share), ("gone", 1.0))) is None  # a predecessor missing
