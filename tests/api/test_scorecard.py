"""Scorecard, trends, street rankings and district summary (JSON) against the engine's own
results: every number must equal the stored snapshot's, or follow from it by the stated rule."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from scoring.change import change_report
from scoring.result import WaveResult
from scoring.trend import compare_waves
from survey.storage.models import Community, ScoreSnapshot, Wave
from tests.support.officials_district import (
    COMMUNITY_OFFICIAL_OF,
    LAST,
    SUPPRESSED,
    SUPPRESSED_STREET,
    WAVES,
    sign_in,
)

OK_COMMUNITY = "CH02-001"


def snapshot(client: TestClient, wave: str) -> dict[str, Any]:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.exec(
            select(ScoreSnapshot)
            .join(Wave)
            .where(Wave.code == wave)
            .order_by(col(ScoreSnapshot.id).desc())
        ).first()
        assert row is not None
        return dict(row.results)


def store(client: TestClient, wave: str, results: dict[str, Any]) -> None:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        w = session.exec(select(Wave).where(Wave.code == wave)).one()
        assert w.id is not None
        session.add(
            ScoreSnapshot(
                wave_id=w.id,
                model_name="equal",
                model_version=1,
                data_hash="f" * 64,
                results=results,
            )
        )
        session.commit()


@pytest.fixture
def admin(officials_client: TestClient) -> TestClient:
    return sign_in(officials_client, "admin")


def get(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def test_scorecard_numbers_are_the_snapshots(admin: TestClient) -> None:
    sc = get(admin, f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard")
    stored = snapshot(admin, LAST)
    result = WaveResult.from_dict(stored)
    i = result.community_codes.index(OK_COMMUNITY)
    assert result.grade_prob is not None and result.borderline is not None
    sets = stored["rank_sets"]["communities"]
    tier = sets[OK_COMMUNITY]["tier"]
    tier_ranks = [
        int(result.rank[result.community_codes.index(c)])
        for c, s in sets.items()
        if s["tier"] == tier
    ]
    assert not sc["suppressed"]
    assert sc["overall"] == {
        "score": result.index[i],
        "ci_low": result.ci_low[i],
        "ci_high": result.ci_high[i],
        "se": result.se[i],
        "grade": result.grade[i],
        "grade_prob": result.grade_prob[i],
        "grade_p": result.grade_prob[i][result.grade[i]],
        "borderline": result.borderline[i],
    }
    assert sc["rank"] == {
        "rank": int(result.rank[i]),
        "of": int((~result.suppressed).sum()),
        "rank_low": int(result.rank_low[i]),
        "rank_high": int(result.rank_high[i]),
        "estimator": "direct",
        **sets[OK_COMMUNITY],
        "tier_members": len(tier_ranks),
        "tier_rank_low": min(tier_ranks),
        "tier_rank_high": max(tier_ranks),
    }
    assert sc["osi"]["score"] == result.osi[i]
    assert sc["n"] == int(result.n[i])
    for d, dim in enumerate(sc["dimensions"]):
        assert dim["code"] == result.dimension_codes[d]
        assert (dim["score"], dim["ci_low"], dim["ci_high"]) == (
            result.dim_score[i, d],
            result.dim_ci_low[i, d],
            result.dim_ci_high[i, d],
        )
        assert dim["weight"] == pytest.approx(result.dimension_weights[d])
    assert [it["code"] for it in sc["items"]] == list(result.item_codes)
    for j, it in enumerate(sc["items"]):
        assert it["score"] == result.item_score[i, j]
        assert it["pct_positive"] == result.item_pct_positive[i, j]
        assert it["dk_rate"] == result.item_dk_rate[i, j]
        assert it["n"] == result.item_n[i, j]
    assert sc["items"][0]["label"]["zh"].startswith("社区党组织")
    assert sc["model_key"] == result.model_key and sc["ci_level"] == 0.9 and sc["min_n"] == 30


def register_population(client: TestClient) -> dict[str, int]:
    """Adults per community, read from the register itself (not from the snapshot)."""
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return {c.code: c.population for c in session.exec(select(Community)).all()}


def test_comparisons_are_resident_weighted_means_of_published_communities(
    admin: TestClient,
) -> None:
    sc = get(admin, f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard")
    results = snapshot(admin, LAST)
    meta = {m["code"]: m for m in results["community_meta"]}
    rows = [r for r in results["communities"] if not r["suppressed"]]
    population = register_population(admin)
    assert len({population[r["code"]] for r in rows}) == len(rows)  # unequal populations

    def mean(keep: list[dict[str, Any]], value: Any) -> float:
        big_n = np.array([population[r["code"]] for r in keep], dtype=float)
        return float(np.sum(big_n * np.array([value(r) for r in keep])) / big_n.sum())

    def se(keep: list[dict[str, Any]]) -> float:
        big_n = np.array([population[r["code"]] for r in keep], dtype=float)
        return float(np.sqrt(np.sum((big_n / big_n.sum()) ** 2 * [r["se"] ** 2 for r in keep])))

    street = [r for r in rows if meta[r["code"]]["street"] == sc["community"]["street"]]
    housing = [
        r for r in rows if meta[r["code"]]["housing_type"] == sc["community"]["housing_type"]
    ]
    comparison = sc["comparison"]
    tol = {"rel": 0, "abs": 1e-9}
    assert comparison["district"]["index"] == pytest.approx(mean(rows, lambda r: r["index"]), **tol)
    assert comparison["street"]["index"] == pytest.approx(mean(street, lambda r: r["index"]), **tol)
    assert comparison["housing_type"]["index"] == pytest.approx(
        mean(housing, lambda r: r["index"]), **tol
    )
    assert comparison["district"]["communities"] == len(rows)
    assert comparison["district"]["weighting"] == "residents"
    assert comparison["district"]["population"] == sum(population[r["code"]] for r in rows)
    assert "resident-weighted" in comparison["method"]["en"]
    # the respondent-weighted mean differs (the rule is not a no-op on this district)
    n = np.array([r["n"] for r in rows], dtype=float)
    by_n = float(n @ [r["index"] for r in rows] / n.sum())
    assert abs(by_n - comparison["district"]["index"]) > 1e-3
    d1 = sc["dimensions"][0]
    assert d1["district_mean"] == pytest.approx(
        mean(rows, lambda r: r["dimensions"]["D1"]["score"]), **tol
    )
    assert d1["street_mean"] == pytest.approx(
        mean(street, lambda r: r["dimensions"]["D1"]["score"]), **tol
    )
    summary = get(admin, f"/api/v1/waves/{LAST}/summary")
    assert summary["district"]["index"] == pytest.approx(mean(rows, lambda r: r["index"]), **tol)
    ranking = get(admin, f"/api/v1/waves/{LAST}/rankings?level=street")["streets"]
    for s in ranking:
        mine = [r for r in rows if meta[r["code"]]["street"] == s["street"]]
        assert s["score"] == pytest.approx(mean(mine, lambda r: r["index"]), **tol)
        z = 1.6448536269514722
        assert s["ci_high"] - s["score"] == pytest.approx(z * se(mine), **tol)
        every = [c for c, m in meta.items() if m["street"] == s["street"]]
        assert s["population_total"] == sum(population[c] for c in every)
        assert s["population_covered"] == pytest.approx(
            sum(population[r["code"]] for r in mine) / s["population_total"]
        )
    trend = get(admin, "/api/v1/district/trend")
    assert trend["points"][-1]["score"] == pytest.approx(mean(rows, lambda r: r["index"]), **tol)


def family(before: dict[str, Any], after: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """The change rule recomputed from the raw snapshots: communities in both × (overall +
    dimensions), one BH family, the model's threshold → {(code, node): (Δ, SE, label, q)}."""
    rows_b = {r["code"]: r for r in before["communities"]}
    rows_a = {r["code"]: r for r in after["communities"]}
    nodes = ["overall", *after["codes"]["dimensions"]]
    codes = [c for c in rows_a if c in rows_b]

    def fig(r: dict[str, Any], node: str) -> tuple[float, float]:
        if r["suppressed"] or r["index"] is None:
            return np.nan, np.nan
        if node == "overall":
            return r["index"], r["se"]
        return r["dimensions"][node]["score"], r["dimensions"][node]["se"]

    d = np.array([[fig(rows_a[c], n)[0] - fig(rows_b[c], n)[0] for n in nodes] for c in codes])
    se = np.array(
        [[np.hypot(fig(rows_a[c], n)[1], fig(rows_b[c], n)[1]) for n in nodes] for c in codes]
    )
    threshold = after["provenance"]["model_definition"].get("trend_threshold", 3.0)
    # Welch–Satterthwaite df from each side's SE and n (t p-values), written out here
    se_b = np.array([[fig(rows_b[c], n)[1] for n in nodes] for c in codes])
    se_a = np.array([[fig(rows_a[c], n)[1] for n in nodes] for c in codes])
    n_b = np.array([[rows_b[c]["n"] - 1.0] for c in codes])
    n_a = np.array([[rows_a[c]["n"] - 1.0] for c in codes])
    df = (se_b**2 + se_a**2) ** 2 / (se_b**4 / n_b + se_a**4 / n_a)
    rep = change_report(d, se, small_sample=~np.isfinite(d), fdr=0.10, min_change=threshold, df=df)
    return {
        (c, n): (d[i, j], se[i, j], str(rep.label[i, j]), rep.q[i, j])
        for i, c in enumerate(codes)
        for j, n in enumerate(nodes)
    }


def test_change_and_trend_follow_the_change_rule(admin: TestClient) -> None:
    sc = get(admin, f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard")
    cells = family(snapshot(admin, WAVES[-2]), snapshot(admin, LAST))
    delta, se, lab, q = cells[OK_COMMUNITY, "overall"]
    change = sc["change"]
    assert (change["from_wave"], change["to_wave"]) == (WAVES[-2], LAST)
    assert change["delta"] == pytest.approx(delta)
    assert change["ci_low"] == pytest.approx(delta - 1.6448536 * se)
    assert change["ci_high"] == pytest.approx(delta + 1.6448536 * se)
    assert change["label"] == lab and change["q"] == pytest.approx(q)
    for d in sc["dimensions"]:  # each dimension's change, from the same family
        assert d["change"]["label"] == cells[OK_COMMUNITY, d["code"]][2]
        assert d["change"]["q"] == pytest.approx(cells[OK_COMMUNITY, d["code"]][3])
    # the suppressed community cannot be labelled: sample too small
    assert cells[SUPPRESSED, "overall"][2] == "undetermined"
    engine = compare_waves(
        WaveResult.from_dict(snapshot(admin, WAVES[-2])),
        WaveResult.from_dict(snapshot(admin, LAST)),
    )  # the research engine's labels are the same rule on the same family
    for k, code in enumerate(engine.codes):
        assert engine.label_code[k] == cells[code, "overall"][2], code
        for j, node in enumerate(engine.dimension_codes):
            assert engine.dimension_label[k, j] == cells[code, node][2]
    trend = get(admin, "/api/v1/district/trend")
    for row in trend["communities"]:  # the trend report carries exactly the same labels
        assert row["last_change"]["label"] == cells[row["code"], "overall"][2]
        for node, ch in row["last_dimension_changes"].items():
            assert ch["label"] == cells[row["code"], node][2], (row["code"], node)
    assert [p["wave"] for p in sc["trend"]] == list(WAVES)
    for wave, point in zip(WAVES, sc["trend"], strict=True):
        r = WaveResult.from_dict(snapshot(admin, wave))
        assert point["score"] == r.index[r.community_codes.index(OK_COMMUNITY)]
    assert sc["changes"][0]["note"]["en"] == "no previous wave"


def test_change_is_refused_when_the_models_differ(admin: TestClient) -> None:
    results = snapshot(admin, WAVES[-2])
    results["provenance"] = {**results["provenance"], "model_key": "equal@2"}
    store(admin, WAVES[-2], results)  # a newer snapshot of the previous wave, another model
    sc = get(admin, f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard")
    assert sc["change"]["label"] == "undetermined" and sc["change"]["q"] is None
    assert sc["change"]["label_text"]["zh"] == "无法判断"
    assert sc["change"]["note"]["zh"] == "评分模型不同，不可比较"
    assert all(d["change"]["label"] == "undetermined" for d in sc["dimensions"])
    summary = get(admin, f"/api/v1/waves/{LAST}/summary")
    assert summary["changes"]["note"] is not None and summary["changes"]["rises"] == []


def test_priorities_match_the_stored_lists(admin: TestClient) -> None:
    sc = get(admin, f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard")
    results = snapshot(admin, LAST)
    row = next(r for r in results["communities"] if r["code"] == OK_COMMUNITY)
    pri = sc["priorities"]
    assert [p["code"] for p in pri["improve_first"]] == row["priorities"]["improve_first"]
    assert [p["code"] for p in pri["strengths"]] == row["priorities"]["keep_up"]
    assert pri["performance_cut"] == results["priorities"]["performance_cut"]
    for p in pri["points"]:  # the chart puts every point in the quadrant the lists say
        if p["code"] in row["priorities"]["improve_first"]:
            assert p["quadrant"] == 0 and p["quadrant_label"]["zh"] == "重点改进"
        if p["code"] in row["priorities"]["keep_up"]:
            assert p["quadrant"] == 1
        assert p["importance"] == results["priorities"]["importance"][p["code"]]


def test_composition_against_population(admin: TestClient) -> None:
    sc = get(admin, f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard")
    comp = sc["composition"]
    assert comp["has_population"]
    for key in ("age_band", "gender"):
        assert sum(g["sample_share"] for g in comp[key]) == pytest.approx(1.0)
        assert sum(g["population_share"] for g in comp[key]) == pytest.approx(1.0)
    meta = next(m for m in snapshot(admin, LAST)["community_meta"] if m["code"] == OK_COMMUNITY)
    assert sum(meta["sample_cells"]) <= meta["responses"]


def test_street_rankings(admin: TestClient) -> None:
    body = get(admin, f"/api/v1/waves/{LAST}/rankings?level=street")
    assert body["level"] == "street" and body["communities"] == []
    streets = body["streets"]
    assert [s["rank"] for s in streets] == sorted(s["rank"] for s in streets)
    assert body["n_ranked"] == len(streets) == 3
    community = get(admin, f"/api/v1/waves/{LAST}/rankings")["communities"]
    population = register_population(admin)
    for s in streets:
        mine = [c for c in community if c["street"] == s["street"] and not c["suppressed"]]
        n = np.array([c["n"] for c in mine], dtype=float)
        big_n = np.array([population[c["community"]] for c in mine], dtype=float)
        assert s["score"] == pytest.approx(float(big_n @ [c["score"] for c in mine] / big_n.sum()))
        assert s["n_published"] == int(n.sum())
        assert s["rank_low"] <= s["rank"] <= s["rank_high"]
        assert s["ci_low"] < s["score"] < s["ci_high"]
    only = get(admin, f"/api/v1/waves/{LAST}/rankings?level=street&street=CH01")["streets"]
    assert [s["street"] for s in only] == ["CH01"]
    # The existing community-level fields are unchanged.
    assert {"community", "name", "rank", "score", "dimensions"} <= set(community[0])


def test_summary_lists_the_change_rules_labels(admin: TestClient) -> None:
    summary = get(admin, f"/api/v1/waves/{LAST}/summary")
    results = snapshot(admin, LAST)
    published = [r for r in results["communities"] if not r["suppressed"]]
    assert sum(b["count"] for b in summary["distribution"]) == len(published)
    assert summary["published"] == len(published) and summary["suppressed"] == 1
    cells = family(snapshot(admin, WAVES[-2]), results)
    labelled = {c for (c, n), v in cells.items() if n == "overall" and v[2] in ("up", "down")}
    listed = {c["code"] for c in summary["changes"]["rises"] + summary["changes"]["falls"]}
    assert listed == labelled
    for c in summary["changes"]["rises"]:
        assert c["delta"] > 0 and c["q"] <= 0.10 and c["label"] == "up"
    counts = [p["communities"] for p in summary["priorities"]["improve_first"]]
    assert counts == sorted(counts, reverse=True)


def test_trend_endpoints(admin: TestClient) -> None:
    community = get(admin, f"/api/v1/communities/{OK_COMMUNITY}/trend")
    assert community["waves"] == list(WAVES) and len(community["points"]) == 3
    street = get(admin, f"/api/v1/streets/{SUPPRESSED_STREET}/trend")
    rankings = get(admin, f"/api/v1/waves/{LAST}/rankings?level=street")["streets"]
    mine = next(s for s in rankings if s["street"] == SUPPRESSED_STREET)
    assert street["points"][-1]["score"] == pytest.approx(mine["score"])
    district = get(admin, "/api/v1/district/trend")
    assert len(district["communities"]) == 12 and len(district["streets"]) == 3
    sc = get(admin, f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard")
    assert district["points"][-1]["score"] == pytest.approx(sc["comparison"]["district"]["index"])


def test_scope_limits_every_endpoint(officials_client: TestClient) -> None:
    client = sign_in(officials_client, "community")
    own = f"/api/v1/waves/{LAST}/communities/{COMMUNITY_OFFICIAL_OF}/scorecard"
    assert client.get(own).status_code == 200
    other = client.get(f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard")
    assert other.status_code == 404
    assert client.get(f"/api/v1/communities/{OK_COMMUNITY}/trend").status_code == 404
    rows = get(client, f"/api/v1/waves/{LAST}/rankings")["communities"]
    assert [r["community"] for r in rows] == [COMMUNITY_OFFICIAL_OF]
    streets = get(client, f"/api/v1/waves/{LAST}/rankings?level=street")["streets"]
    assert [s["street"] for s in streets] == ["CH01"]
    assert client.get(f"/api/v1/streets/{SUPPRESSED_STREET}/trend").status_code == 404
    district = get(client, "/api/v1/district/trend")
    assert [r["code"] for r in district["communities"]] == [COMMUNITY_OFFICIAL_OF]
    street_official = sign_in(officials_client, "street")
    rows = get(street_official, f"/api/v1/waves/{LAST}/rankings")["communities"]
    assert {r["street"] for r in rows} == {SUPPRESSED_STREET}


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"/api/v1/waves/{LAST}/rankings?level=city", 422),
        (f"/api/v1/waves/{LAST}/rankings?level=street&housing_type=x", 422),
        (f"/api/v1/waves/{LAST}/communities/NOPE/scorecard", 404),
        (f"/api/v1/waves/NOPE/communities/{OK_COMMUNITY}/scorecard", 404),
        (f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard?model=nope", 404),
        (f"/api/v1/waves/{LAST}/summary?model=" + "x" * 65, 422),
        ("/api/v1/streets/NOPE/trend", 404),
        ("/api/v1/district/trend?model=nope", 200),
    ],
)
def test_bad_input_gets_a_clear_4xx(admin: TestClient, url: str, status: int) -> None:
    response = admin.get(url)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.json()["detail"]


def test_a_model_nobody_scored_gives_empty_trend_points(admin: TestClient) -> None:
    body = get(admin, "/api/v1/district/trend?model=nope")
    assert all(p["score"] is None and p["note"]["en"] for p in body["points"])


def test_api_needs_a_signed_in_user(officials_client: TestClient) -> None:
    for url in (
        f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard",
        "/api/v1/district/trend",
        f"/api/v1/waves/{LAST}/summary",
    ):
        assert officials_client.get(url).status_code == 401


def test_suppressed_community_is_listed_last_without_figures(admin: TestClient) -> None:
    rows = get(admin, f"/api/v1/waves/{LAST}/rankings")["communities"]
    assert rows[-1]["community"] == SUPPRESSED and rows[-1]["score"] is None


def test_openapi_documents_the_endpoints(admin: TestClient) -> None:
    spec = get(admin, "/openapi.json")
    paths = spec["paths"]
    for path in (
        "/api/v1/waves/{wave}/communities/{community}/scorecard",
        "/api/v1/communities/{community}/trend",
        "/api/v1/streets/{street}/trend",
        "/api/v1/district/trend",
        "/api/v1/waves/{wave}/summary",
    ):
        op = paths[path]["get"]
        assert "model" in {p["name"] for p in op["parameters"]}
        assert "200" in op["responses"] and "$ref" in str(op["responses"]["200"])
    rankings = paths["/api/v1/waves/{wave}/rankings"]["get"]
    assert "level" in {p["name"] for p in rankings["parameters"]}
    assert spec["components"]["schemas"]["Scorecard"]["examples"]


def test_response_bodies_follow_the_documented_models(admin: TestClient) -> None:
    """The JSON is serialised without FastAPI's response validation (for speed), so check
    here that every body is exactly what the OpenAPI models promise."""
    from api.officials.rankings_routes import Rankings
    from api.schemas.officials import (
        CommunityTrend,
        DistrictSummary,
        DistrictTrend,
        Scorecard,
        StreetTrend,
    )

    cases = [
        (Scorecard, f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard"),
        (Scorecard, f"/api/v1/waves/{LAST}/communities/{SUPPRESSED}/scorecard"),
        (CommunityTrend, f"/api/v1/communities/{SUPPRESSED}/trend"),
        (StreetTrend, f"/api/v1/streets/{SUPPRESSED_STREET}/trend"),
        (DistrictTrend, "/api/v1/district/trend"),
        (DistrictSummary, f"/api/v1/waves/{LAST}/summary"),
        (Rankings, f"/api/v1/waves/{LAST}/rankings?level=street"),
        (Rankings, f"/api/v1/waves/{LAST}/rankings"),
    ]
    for model, url in cases:
        body = get(admin, url)
        dumped = model.model_validate(body).model_dump(mode="json")
        # Same values and nothing outside the model (extra keys would be undocumented fields).
        body.pop("computed_at", None), dumped.pop("computed_at", None)
        assert dumped == body, url


def test_rankings_are_served_gzipped_when_accepted(admin: TestClient) -> None:
    url = f"/api/v1/waves/{LAST}/rankings"
    plain = admin.get(url, headers={"Accept-Encoding": "identity"})
    packed = admin.get(url, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert packed.json() == plain.json()  # httpx decodes it


def test_a_missing_se_is_undetermined_never_zero(admin: TestClient) -> None:
    """With SE unknown, even a large Δ cannot be called significant (it once became 0)."""
    results = snapshot(admin, LAST)
    row = next(r for r in results["communities"] if r["code"] == OK_COMMUNITY)
    row["se"] = None
    row["index"] = row["index"] + 20.0  # a change that a zero SE would label 显著提升
    store(admin, LAST, results)
    sc = get(admin, f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard")
    change = sc["change"]
    assert change["label"] == "undetermined" and change["reason"] == "missing_se"
    assert change["note_code"] == "missing_se" and change["q"] is None
    assert change["delta"] is not None and change["delta"] > 15
    summary = get(admin, f"/api/v1/waves/{LAST}/summary")["changes"]
    assert OK_COMMUNITY not in {c["code"] for c in summary["rises"]}


def test_street_changes_compare_the_same_communities(admin: TestClient) -> None:
    """The suppressed community (published the wave before) leaves both waves of its
    street's change: Δ is resident-weighted over the communities published in both."""
    before, after = snapshot(admin, WAVES[-2]), snapshot(admin, LAST)
    population = register_population(admin)
    street_of = {m["code"]: m["street"] for m in after["community_meta"]}

    def published(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {r["code"]: r for r in results["communities"] if not r["suppressed"]}

    b, a = published(before), published(after)
    assert SUPPRESSED in b and SUPPRESSED not in a
    both = sorted(set(a) & set(b))

    def mean_se(rows: dict[str, dict[str, Any]], codes: list[str]) -> tuple[float, float]:
        w = np.array([population[c] for c in codes], dtype=float)
        w /= w.sum()
        idx = np.array([rows[c]["index"] for c in codes])
        se = np.array([rows[c]["se"] for c in codes])
        return float(w @ idx), float(np.sqrt(w**2 @ se**2))

    trend = get(admin, "/api/v1/district/trend")
    for row in trend["streets"]:
        codes = [c for c in both if street_of[c] == row["street"]]
        (m1, s1), (m2, s2) = mean_se(b, codes), mean_se(a, codes)
        change = row["last_change"]
        assert change["delta"] == pytest.approx(m2 - m1, abs=1e-9)
        assert change["se"] == pytest.approx(float(np.hypot(s1, s2)), abs=1e-9)
    (m1, _), (m2, _) = mean_se(b, both), mean_se(a, both)
    assert trend["changes"][-1]["delta"] == pytest.approx(m2 - m1, abs=1e-9)


def test_scorecard_carries_the_fay_herriot_estimate(admin: TestClient) -> None:
    """EBLUP of the published communities with street dummies, as scoring.small_area gives it
    on the snapshot's own figures; the suppressed community has none and enters no one's."""
    from scoring.small_area import dummies, fay_herriot

    results = snapshot(admin, LAST)
    street = {m["code"]: m["street"] for m in results["community_meta"]}
    rows = [r for r in results["communities"] if not r["suppressed"]]
    assert SUPPRESSED not in {r["code"] for r in rows}
    fh = fay_herriot(
        [r["index"] for r in rows],
        [r["se"] ** 2 for r in rows],
        dummies([street[r["code"]] for r in rows]),
        level=0.90,
    )
    k = [r["code"] for r in rows].index(OK_COMMUNITY)
    sa = get(admin, f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard")["small_area"]
    assert sa["design"] == "street" and sa["method"] == fh.method
    assert sa["estimate"] == pytest.approx(fh.estimate[k], abs=1e-9)
    assert sa["mse"] == pytest.approx(fh.mse[k], abs=1e-9)
    assert sa["ci_low"] == pytest.approx(fh.ci_low[k], abs=1e-9)
    assert 0 <= sa["gamma"] <= 1
    hidden = get(admin, f"/api/v1/waves/{LAST}/communities/{SUPPRESSED}/scorecard")
    assert hidden["small_area"] is None


def test_rankings_carry_joint_rank_sets_and_tiers(admin: TestClient) -> None:
    from scoring.rank_sets import rank_sets

    rows = [r for r in snapshot(admin, LAST)["communities"] if not r["suppressed"]]
    rs = rank_sets([r["index"] for r in rows], [r["se"] for r in rows], alpha=0.10)
    want = {
        r["code"]: (int(rs.lower[i]), int(rs.upper[i]), int(rs.tier[i])) for i, r in enumerate(rows)
    }
    ranking = get(admin, f"/api/v1/waves/{LAST}/rankings")["communities"]
    got = {
        r["community"]: (r["rank_set_low"], r["rank_set_high"], r["tier"])
        for r in ranking
        if not r["suppressed"]
    }
    assert got == want
    assert all(lo <= hi for lo, hi, _t in got.values())
    hidden = next(r for r in ranking if r["community"] == SUPPRESSED)
    assert hidden["rank_set_low"] is None and hidden["tier"] is None
