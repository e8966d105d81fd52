"""``estimator: fay_herriot`` in a weight model: the snapshot's small-area fits of every
dimension, ranks by EBLUP and change labels on EBLUPs (api/services/small_area.py,
api/services/change_rule.py), against independent computations on the snapshot's own figures.

The district is the officials' one (12 communities in 3 streets, 60 respondents, three waves);
the same model with ``estimator: direct`` must keep the engine's ranks and the t-test labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy import stats
from sqlmodel import Session, col, select

from api.services.model_registry import publish_model
from api.services.snapshot_store import clear_cache
from api.services.snapshots import compute_snapshot
from scoring.change import change_report
from scoring.rank_sets import rank_sets
from scoring.small_area import dummies, fay_herriot
from survey.storage.models import ScoreSnapshot, Wave
from tests.support.officials_district import LAST, SUPPRESSED, WAVES, sign_in

FH_MODEL = "fh-test"
DIRECT_MODEL = "direct-test"
PREVIOUS = WAVES[-2]


@pytest.fixture
def admin(officials_client: TestClient) -> TestClient:
    engine = officials_client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        for name, estimator in ((FH_MODEL, "fay_herriot"), (DIRECT_MODEL, "direct")):
            publish_model(
                session=session,
                definition={"name": name, "estimator": estimator},
                author="researcher",
            )
            for wave in (PREVIOUS, LAST):
                compute_snapshot(
                    session=session, wave_code=wave, model_name=name, bootstrap=30, actor="test"
                )
    clear_cache()
    return sign_in(officials_client, "admin")


def snapshot(client: TestClient, wave: str, model: str) -> dict[str, Any]:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.exec(
            select(ScoreSnapshot)
            .join(Wave)
            .where(Wave.code == wave, ScoreSnapshot.model_name == model)
            .order_by(col(ScoreSnapshot.id).desc())
        ).first()
        assert row is not None
        return dict(row.results)


def get(client: TestClient, url: str, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text[:300]
    return response.json() if "/api/" in url else response.text


def independent_fit(results: dict[str, Any], node: str) -> tuple[list[str], Any]:
    """scoring.small_area.fay_herriot on the published rows' own figures (street dummies)."""
    street = {m["code"]: m["street"] for m in results["community_meta"]}
    rows = [r for r in results["communities"] if not r["suppressed"]]
    figures = [
        (r["index"], r["se"])
        if node == "overall"
        else (r["dimensions"][node]["score"], r["dimensions"][node]["se"])
        for r in rows
    ]
    codes = [r["code"] for r in rows]
    fh = fay_herriot(
        [f[0] for f in figures],
        [f[1] ** 2 for f in figures],
        dummies([street[c] for c in codes]),
        level=0.90,
    )
    return codes, fh


def test_every_dimension_has_its_fay_herriot_fit(admin: TestClient) -> None:
    """Worked example: each dimension's stored EBLUP and MSE equal fay_herriot on the snapshot's
    own direct scores and SEs to 1e-9; the suppressed community has none."""
    results = snapshot(admin, LAST, FH_MODEL)
    sa = results["small_area"]
    dims = results["codes"]["dimensions"]
    assert set(sa["dimensions"]) == set(dims)
    for d in dims:
        codes, fh = independent_fit(results, d)
        stored = sa["dimensions"][d]
        assert stored["design"] == "street"
        assert stored["sigma2_v"] == pytest.approx(fh.sigma2_v, abs=1e-9)
        assert SUPPRESSED not in stored["communities"]
        for i, c in enumerate(codes):
            got = stored["communities"][c]
            assert got["estimate"] == pytest.approx(fh.estimate[i], abs=1e-9)
            assert got["mse"] == pytest.approx(fh.mse[i], abs=1e-9)
            assert got["ci_high"] == pytest.approx(fh.ci_high[i], abs=1e-9)
    # the scorecard carries them beside the direct score
    code = codes[0]
    card = get(admin, f"/api/v1/waves/{LAST}/communities/{code}/scorecard", model=FH_MODEL)
    d0 = card["small_area"]["dimensions"][dims[0]]
    assert d0["estimate"] == pytest.approx(
        sa["dimensions"][dims[0]]["communities"][code]["estimate"], abs=1e-12
    )
    assert d0["direct"] == card["dimensions"][0]["score"]
    assert card["small_area"]["show"] is True  # 60 respondents < flag_n 100


def test_fay_herriot_model_ranks_by_eblup(admin: TestClient) -> None:
    fh_results = snapshot(admin, LAST, FH_MODEL)
    codes, fh = independent_fit(fh_results, "overall")
    se = np.sqrt(fh.mse)
    single = rank_sets(fh.estimate, se, alpha=0.10, coverage="individual")
    joint = rank_sets(fh.estimate, se, alpha=0.10, coverage="joint")
    want = {
        c: (int(single.rank[i]), int(single.lower[i]), int(single.upper[i]))
        for i, c in enumerate(codes)
    }
    ranking = get(admin, f"/api/v1/waves/{LAST}/rankings", model=FH_MODEL)["communities"]
    published = [r for r in ranking if not r["suppressed"]]
    assert {r["community"]: (r["rank"], r["rank_low"], r["rank_high"]) for r in published} == want
    assert all(r["estimator"] == "fay_herriot" for r in published)
    assert {r["community"]: r["tier"] for r in published} == {
        c: int(joint.tier[i]) for i, c in enumerate(codes)
    }
    # ordered by EBLUP, scores still the direct ones
    order = [codes[i] for i in np.argsort(-fh.estimate, kind="stable")]
    assert [r["community"] for r in published] == order
    direct_index = {r["code"]: r["index"] for r in fh_results["communities"]}
    assert all(r["score"] == direct_index[r["community"]] for r in published)
    card = get(admin, f"/api/v1/waves/{LAST}/communities/{codes[0]}/scorecard", model=FH_MODEL)
    assert card["rank"]["estimator"] == "fay_herriot"
    assert card["rank"]["rank"] == want[codes[0]][0]
    # the same weights with estimator: direct keep the engine's (bootstrap) ranks
    direct = get(admin, f"/api/v1/waves/{LAST}/rankings", model=DIRECT_MODEL)["communities"]
    engine = {
        r["code"]: (r["rank"], r["rank_low"], r["rank_high"])
        for r in snapshot(admin, LAST, DIRECT_MODEL)["communities"]
        if not r["suppressed"]
    }
    assert all(r["estimator"] == "direct" for r in direct)
    assert {
        r["community"]: (r["rank"], r["rank_low"], r["rank_high"])
        for r in direct
        if not r["suppressed"]
    } == engine
    # on this district shrinkage keeps the order, but the intervals are the EBLUP ones
    assert engine != want


def test_fay_herriot_model_labels_changes_on_eblups(admin: TestClient) -> None:
    """The whole family (communities × (overall + dimensions)) recomputed: Δ of EBLUPs,
    SE = √(MSE₁ + MSE₂), normal p-values, BH at 0.10 with the model's threshold."""
    before, after = snapshot(admin, PREVIOUS, FH_MODEL), snapshot(admin, LAST, FH_MODEL)
    nodes = ["overall", *after["codes"]["dimensions"]]
    fits: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
    for wave, results in (("b", before), ("a", after)):
        for n in nodes:
            codes, fh = independent_fit(results, n)
            fits[wave, n] = {c: (fh.estimate[i], fh.mse[i]) for i, c in enumerate(codes)}
    keys = sorted(set(fits["a", "overall"]) & set(fits["b", "overall"]))
    delta = np.array([[fits["a", n][k][0] - fits["b", n][k][0] for n in nodes] for k in keys])
    se = np.array([[np.sqrt(fits["a", n][k][1] + fits["b", n][k][1]) for n in nodes] for k in keys])
    report = change_report(delta, se, fdr=0.10, min_change=3.0)
    trend = get(admin, "/api/v1/district/trend", model=FH_MODEL)
    rows = {r["code"]: r for r in trend["communities"]}
    z = float(stats.norm.ppf(0.95))
    for i, k in enumerate(keys):
        for j, n in enumerate(nodes):
            cell = (
                rows[k]["last_change"] if n == "overall" else rows[k]["last_dimension_changes"][n]
            )
            assert cell["estimator"] == "fay_herriot"
            assert cell["delta"] == pytest.approx(delta[i, j], abs=1e-9)
            assert cell["se"] == pytest.approx(se[i, j], abs=1e-9)
            assert cell["ci_low"] == pytest.approx(delta[i, j] - z * se[i, j], abs=1e-9)
            assert cell["q"] == pytest.approx(report.q[i, j], abs=1e-9)
            assert cell["label"] == str(report.label[i, j])
            assert cell["df"] is None  # normal, not Welch
    # the dashboard's rises and falls are the same labels, before/after the EBLUPs
    summary = get(admin, f"/api/v1/waves/{LAST}/summary", model=FH_MODEL)["changes"]
    listed = {c["code"]: c for c in summary["rises"] + summary["falls"]}
    assert set(listed) == {k for i, k in enumerate(keys) if report.label[i, 0] in ("up", "down")}
    for c in listed.values():
        assert c["estimator"] == "fay_herriot"
        assert c["after"] - c["before"] == pytest.approx(c["delta"], abs=1e-9)
    # the suppressed community: undetermined under either estimator
    assert rows[SUPPRESSED]["last_change"]["label"] == "undetermined"
    direct = get(admin, "/api/v1/district/trend", model=DIRECT_MODEL)
    d_rows = {r["code"]: r for r in direct["communities"]}
    assert d_rows[keys[0]]["last_change"]["estimator"] == "direct"
    assert d_rows[keys[0]]["last_change"]["se"] != pytest.approx(se[0, 0], abs=1e-6)


def test_scorecard_page_shows_the_borrowed_estimate_beside_the_direct_one(
    admin: TestClient,
) -> None:
    results = snapshot(admin, LAST, FH_MODEL)
    codes, fh = independent_fit(results, "overall")
    page = get(admin, f"/waves/{LAST}/communities/{codes[0]}", model=FH_MODEL)
    assert "借用所在街道信息的估计值" in page
    assert f"{fh.estimate[0]:.1f}" in page
    assert 'id="h-small-area"' in page
    assert "本权重模型的排名和变化判断采用借用估计值" in page
    direct_page = get(admin, f"/waves/{LAST}/communities/{codes[0]}", model=DIRECT_MODEL)
    assert 'id="h-small-area"' in direct_page  # shown below flag_n whatever the estimator
    assert "本权重模型的排名和变化判断采用借用估计值" not in direct_page
    en = admin.get(
        f"/waves/{LAST}/communities/{codes[0]}", params={"model": FH_MODEL, "lang": "en"}
    ).text
    assert "borrows strength from its street" in en
    dash = get(admin, f"/waves/{LAST}", model=FH_MODEL)
    assert "fh-figure" in dash
