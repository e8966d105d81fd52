"""Issue 13, point 7: the rankings JSON names every street, carries the small-sample note on
each row as the scorecard does, and documents ``streets``."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.officials_district import LAST, sign_in


def test_every_row_carries_the_scorecards_small_sample_note(
    officials_client: TestClient,
) -> None:
    client = sign_in(officials_client, "admin")
    rows = client.get(f"/api/v1/waves/{LAST}/rankings").json()["communities"]
    small = [r for r in rows if not r["suppressed"] and r["n"] < 100]
    assert small, "the district has published communities under 100 responses"
    for row in rows:
        card = client.get(f"/api/v1/waves/{LAST}/communities/{row['community']}/scorecard").json()
        assert row["note_code"] == ("small_sample" if row in small else None), row["community"]
        assert row["note"] == ("样本较少，仅供参考" if row in small else None)
        assert (card.get("note") is not None) == (row["note"] is not None)
        assert row["street_name"]  # named, never null


def test_street_level_rows_are_named_and_streets_is_documented(
    officials_client: TestClient,
) -> None:
    client = sign_in(officials_client, "admin")
    body = client.get(f"/api/v1/waves/{LAST}/rankings?level=street").json()
    assert body["communities"] == [] and len(body["streets"]) == 3
    assert all(s["street_name"] and s["street_name"] != s["street"] for s in body["streets"])
    default = client.get(f"/api/v1/waves/{LAST}/rankings").json()
    assert default["streets"] == []
    schema = client.get("/openapi.json").json()["components"]["schemas"]["Rankings"]
    assert "level=street" in schema["properties"]["streets"]["description"]
    street_official = sign_in(officials_client, "street")
    mine = street_official.get(f"/api/v1/waves/{LAST}/rankings?level=street").json()
    assert [s["street"] for s in mine["streets"]] == ["CH02"]


def test_published_rows_carry_their_joint_rank_set_and_tier(
    officials_client: TestClient,
) -> None:
    """Issue 12: the snapshot's joint rank sets reach the rankings JSON; each set holds the
    community's own rank, and tiers run from 1 without gaps, in rank order."""
    client = sign_in(officials_client, "admin")
    rows = client.get(f"/api/v1/waves/{LAST}/rankings").json()["communities"]
    published = [r for r in rows if not r["suppressed"] and r["rank"] is not None]
    assert len(published) >= 2
    for row in published:
        assert row["rank_set_low"] <= row["rank"] <= row["rank_set_high"], row["community"]
    tiers = [r["tier"] for r in sorted(published, key=lambda r: r["rank"])]
    assert tiers[0] == 1 and tiers == sorted(tiers)
    assert set(tiers) == set(range(1, max(tiers) + 1))
    assert all(r["tier"] is None for r in rows if r["suppressed"])
