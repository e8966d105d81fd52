"""The weight-model lifecycle through the API: roles, validation, versions, immutability,
freezing of data-driven weights, defaults, retirement, comparison and the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy import stats
from sqlmodel import Session, select

from api.app import create_app
from api.services.snapshot_store import clear_cache as clear_snapshot_cache
from api.settings import Settings
from survey.storage.models import AuditEvent, Wave, WeightModelRecord
from tests.support.jobs import scored_snapshot
from tests.support.research import LATEST, seeded_database, token_for

FIXED = {"D1": 3, "D2": 1, "D3": 1, "D4": 1, "D5": 1, "D6": 3}


class Api:
    def __init__(self, client: TestClient, url: str) -> None:
        self.client = client
        self.url = url
        self.tokens = {u: token_for(url, u) for u in ("researcher", "admin", "official")}

    def h(self, user: str | None) -> dict[str, str]:
        return {} if user is None else {"Authorization": f"Bearer {self.tokens[user]}"}

    def publish(self, model: dict[str, Any], user: str | None = "researcher", **body: Any) -> Any:
        return self.client.post(
            "/api/v1/weight-models", json={"model": model, **body}, headers=self.h(user)
        )

    def audit(self, action: str) -> list[AuditEvent]:
        with Session(self.client.app.state.engine) as session:  # type: ignore[attr-defined]
            return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    url = seeded_database(tmp_path_factory)
    settings = Settings(database_url=url, secret_key="test-secret", bootstrap_replicates=20)
    # Parsed snapshots are cached per process by id; ids repeat across test databases.
    clear_snapshot_cache()
    with TestClient(create_app(settings)) as client:
        yield Api(client, url)
    clear_snapshot_cache()


def fixed_model(name: str = "team-a", weights: dict[str, float] | None = None) -> dict[str, Any]:
    return {"name": name, "description": "test", "dimension_weights": weights or FIXED}


def test_a_definition_stored_with_a_string_version_is_served_and_scored_as_a_number(
    api: Api,
) -> None:
    assert api.publish(fixed_model()).status_code == 201
    with Session(api.client.app.state.engine) as session:  # type: ignore[attr-defined]
        record = session.exec(select(WeightModelRecord)).one()
        record.definition = {**record.definition, "version": "1"}  # as stored before
        session.add(record)
        session.commit()
    shown = api.client.get("/api/v1/weight-models/team-a", headers=api.h("official")).json()
    assert shown["version"] == 1 and shown["definition"]["version"] == 1
    snap = api.client.post(
        f"/api/v1/waves/{LATEST}/snapshots", params={"model": "team-a"}, headers=api.h("admin")
    )
    assert scored_snapshot(api.client, snap, api.h("admin"))["model_version"] == 1


@pytest.mark.parametrize(
    ("user", "status"), [(None, 401), ("official", 403), ("researcher", 201), ("admin", 201)]
)
def test_only_researchers_and_admins_publish(api: Api, user: str | None, status: int) -> None:
    response = api.publish(fixed_model(), user=user)
    assert response.status_code == status, response.text
    listed = api.client.get("/api/v1/weight-models", headers=api.h("researcher")).json()
    assert ("team-a" in {m["name"] for m in listed}) == (status == 201)


def test_publishing_again_makes_a_new_version_and_old_ones_never_change(api: Api) -> None:
    first = api.publish(fixed_model())
    assert first.status_code == 201 and first.json()["version"] == 1
    assert first.json()["author"] == "researcher"
    second = api.publish(fixed_model(weights={**FIXED, "D1": 1}), user="admin")
    assert second.status_code == 201 and second.json()["version"] == 2
    latest = api.client.get("/api/v1/weight-models/team-a", headers=api.h("official")).json()
    assert latest["version"] == 2 and [v["version"] for v in latest["versions"]] == [1, 2]
    assert latest["definition"]["version"] == 2
    old = api.client.get("/api/v1/weight-models/team-a/1", headers=api.h("official")).json()
    assert old["definition"]["dimension_weights"] == FIXED
    changed = api.client.put("/api/v1/weight-models/team-a/1", headers=api.h("researcher"))
    assert changed.status_code == 409 and "cannot change" in changed.json()["detail"]
    again = api.client.get("/api/v1/weight-models/team-a/1", headers=api.h("official")).json()
    assert again["definition"] == old["definition"]
    assert api.client.put("/api/v1/weight-models/nope/1", headers=api.h("admin")).status_code == 404
    events = api.audit("publish_weight_model")
    assert [(e.actor, e.target) for e in events] == [
        ("researcher", "team-a@1"),
        ("admin", "team-a@2"),
    ]


@pytest.mark.parametrize(
    ("model", "words"),
    [
        ({"name": "x", "dimension_weights": {"method": "magic"}}, "unknown weighting method"),
        ({"name": "x", "dimension_weights": {"D1": 1}}, "missing for"),
        ({"name": "x", "colour": "red"}, "unknown weight model field"),
        ({"name": "x", "preset": "nope"}, "unknown rescaling preset"),
        ({"name": "equal"}, "built-in"),
        ({"name": "bad name!"}, "letters, digits"),
        ({"name": "x", "dimension_weights": {"method": "entropy"}}, "resolve_wave"),
        ({"name": "x", "min_n": "many"}, "min_n: Input should be a valid integer"),
        ({"name": "x", "dimension_weights": [1, 2]}, "dimension_weights: Input should be"),
        ({"name": "x", "grade_bands": [["A", "high"], ["B", None]]}, "grade_bands"),
        ({"name": 5}, "name: Input should be a valid string"),
        (
            {
                "name": "x",
                "dimension_weights": {"D1": "a", "D2": 1, "D3": 1, "D4": 1, "D5": 1, "D6": 1},
            },
            "invalid weight model",
        ),
        (
            {
                "name": "x",
                "dimension_weights": {
                    "method": "combined",
                    "alpha": "half",
                    "subjective": {"method": "equal"},
                    "objective": {"method": "equal"},
                },
            },
            "invalid weight model",
        ),
        (
            {
                "name": "x",
                "dimension_weights": {
                    "method": "ahp",
                    "matrix": [
                        [1, 9, 1 / 9, 1, 1, 1],
                        [1 / 9, 1, 9, 1, 1, 1],
                        [9, 1 / 9, 1, 1, 1, 1],
                        [1, 1, 1, 1, 1, 1],
                        [1, 1, 1, 1, 1, 1],
                        [1, 1, 1, 1, 1, 1],
                    ],
                },
            },
            "Most inconsistent",
        ),
        ({"name": "x", "estimator": "eblup"}, "estimator: 'eblup' is not one of"),
        ({"name": "x", "estimator": 1}, "estimator"),
    ],
)
def test_invalid_models_get_422_with_the_reason(
    api: Api, model: dict[str, Any], words: str
) -> None:
    response = api.publish(model)
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"]
    assert api.audit("publish_weight_model") == []


def test_data_driven_weights_are_resolved_on_the_named_wave_and_frozen(api: Api) -> None:
    from api.services.bridge import framework_of, score, to_survey_data
    from scoring.weighting import entropy_signal_weights
    from survey.research import load_research_data

    response = api.publish(
        {"name": "entropy-team", "dimension_weights": {"method": "entropy"}}, resolve_wave=LATEST
    )
    assert response.status_code == 201, response.text
    body = response.json()
    spec = body["definition"]["dimension_weights"]
    assert spec["method"] == "fixed"
    assert body["frozen_from"]["method"] == "entropy"
    assert body["frozen_from"]["resolved_on"]["wave"] == LATEST
    # The frozen numbers are entropy weights of the between-community signal of the wave's
    # community dimension scores: net of their sampling variances, the squared linearised SEs
    # of the equal-weight scores (issue 12, point 8).
    data = load_research_data(api.url, LATEST)
    equal = score(data, "equal", bootstrap=0, node_se="linearised")
    published = ~equal.suppressed
    expected = entropy_signal_weights(
        equal.dim_score[published], equal.dim_se[published] ** 2
    ).weights
    frozen = np.array([spec["weights"][c] for c in equal.dimension_codes])
    np.testing.assert_allclose(frozen, expected, rtol=1e-9, atol=1e-12)
    info = body["frozen_from"]["resolved_on"]["weights_info"]
    assert info["net_of_sampling_variance"] is True and set(info["reliability"]) == set(
        equal.dimension_codes
    )
    assert body["frozen_from"]["resolved_on"]["data_sha256"] == to_survey_data(data).fingerprint()
    assert framework_of(data).dimension_codes == equal.dimension_codes
    unknown = api.publish(
        {"name": "e2", "dimension_weights": {"method": "critic"}}, resolve_wave="1999Q1"
    )
    assert unknown.status_code == 404


def test_snapshot_with_a_published_model_is_what_rankings_and_scorecards_show(api: Api) -> None:
    api.publish(fixed_model())
    created = scored_snapshot(
        api.client,
        api.client.post(
            f"/api/v1/waves/{LATEST}/snapshots",
            params={"model": "team-a"},
            headers=api.h("researcher"),
        ),
        api.h("researcher"),
    )
    assert (created["model"], created["model_version"]) == ("team-a", 1)
    ranking = api.client.get(
        f"/api/v1/waves/{LATEST}/rankings", params={"model": "team-a"}, headers=api.h("official")
    ).json()
    assert (ranking["model"], ranking["model_version"]) == ("team-a", 1)
    code = ranking["communities"][0]["community"]
    card = api.client.get(
        f"/api/v1/waves/{LATEST}/communities/{code}/scorecard",
        params={"model": "team-a"},
        headers=api.h("official"),
    )
    assert card.status_code == 200, card.text
    assert (card.json()["model"], card.json()["model_version"]) == ("team-a", 1)
    assert card.json()["overall"]["score"] == ranking["communities"][0]["score"]


def test_default_model_is_set_scored_and_audited(api: Api) -> None:
    api.publish(fixed_model())
    put = api.client.put(
        f"/api/v1/waves/{LATEST}/default-model", json={"model": "team-a"}, headers=api.h("official")
    )
    assert put.status_code == 403
    put = api.client.put(
        f"/api/v1/waves/{LATEST}/default-model",
        json={"model": "team-a"},
        headers=api.h("researcher"),
    )
    assert put.status_code == 200, put.text
    assert put.json()["snapshot"]["model_version"] == 1
    ranking = api.client.get(f"/api/v1/waves/{LATEST}/rankings", headers=api.h("official"))
    assert ranking.json()["model"] == "team-a"
    # Setting it again finds the snapshot up to date and computes nothing.
    again = api.client.put(
        f"/api/v1/waves/{LATEST}/default-model", json={"model": "team-a"}, headers=api.h("admin")
    )
    assert again.json()["snapshot"] is None
    assert [(e.actor, e.detail["to"]) for e in api.audit("set_default_model")] == [
        ("researcher", "team-a"),
        ("admin", "team-a"),
    ]
    missing = api.client.put(
        f"/api/v1/waves/{LATEST}/default-model", json={"model": "nope"}, headers=api.h("admin")
    )
    assert missing.status_code == 404
    with Session(api.client.app.state.engine) as session:  # type: ignore[attr-defined]
        wave = session.exec(select(Wave).where(Wave.code == LATEST)).one()
        assert wave.default_model == "team-a"


def test_retired_versions_stay_readable_and_are_not_used_for_new_scores(api: Api) -> None:
    api.publish(fixed_model())
    api.publish(fixed_model(weights={**FIXED, "D2": 5}))
    retire = api.client.post("/api/v1/weight-models/team-a/2/retire", headers=api.h("official"))
    assert retire.status_code == 403
    retire = api.client.post("/api/v1/weight-models/team-a/2/retire", headers=api.h("researcher"))
    assert retire.status_code == 200 and retire.json()["status"] == "retired"
    assert (
        api.client.post(
            "/api/v1/weight-models/team-a/2/retire", headers=api.h("researcher")
        ).status_code
        == 409
    )
    old = api.client.get("/api/v1/weight-models/team-a/2", headers=api.h("official")).json()
    assert old["status"] == "retired" and old["definition"]["dimension_weights"]["D2"] == 5
    snap = scored_snapshot(
        api.client,
        api.client.post(
            f"/api/v1/waves/{LATEST}/snapshots",
            params={"model": "team-a"},
            headers=api.h("researcher"),
        ),
        api.h("researcher"),
    )
    assert snap["model_version"] == 1
    api.client.put(
        f"/api/v1/waves/{LATEST}/default-model",
        json={"model": "team-a"},
        headers=api.h("researcher"),
    )
    last = api.client.post("/api/v1/weight-models/team-a/1/retire", headers=api.h("admin"))
    assert last.status_code == 409 and LATEST in last.json()["detail"]
    assert [e.target for e in api.audit("retire_weight_model")] == ["team-a@2"]
    builtin = api.client.post("/api/v1/weight-models/equal/1/retire", headers=api.h("admin"))
    assert builtin.status_code == 409


def test_compare_two_models(api: Api) -> None:
    for model in ("equal", "expert-v0"):
        api.client.post(
            f"/api/v1/waves/{LATEST}/snapshots",
            params={"model": model},
            headers=api.h("researcher"),
        )
    response = api.client.get(
        f"/api/v1/waves/{LATEST}/compare",
        params={"a": "equal", "b": "expert-v0"},
        headers=api.h("admin"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["b"]["model_key"] == "expert-v0@0"
    ranks = {}
    for model in ("equal", "expert-v0"):
        rows = api.client.get(
            f"/api/v1/waves/{LATEST}/rankings", params={"model": model}, headers=api.h("admin")
        ).json()["communities"]
        ranks[model] = {r["community"]: r["rank"] for r in rows}
    common = [c for c in ranks["equal"] if ranks["equal"][c] and ranks["expert-v0"][c]]
    a = [ranks["equal"][c] for c in common]
    b = [ranks["expert-v0"][c] for c in common]
    assert body["n_compared"] == len(common) >= 3
    assert body["spearman"] == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)
    assert body["kendall"] == pytest.approx(stats.kendalltau(a, b).statistic, abs=1e-12)
    for row in body["communities"]:
        if row["shift"] is not None:
            assert row["shift"] == ranks["expert-v0"][row["code"]] - ranks["equal"][row["code"]]
    assert len(body["communities"]) == 12
    forbidden = api.client.get(
        f"/api/v1/waves/{LATEST}/compare",
        params={"a": "equal", "b": "expert-v0"},
        headers=api.h("official"),
    )
    assert forbidden.status_code == 403
    unscored = api.client.get(
        f"/api/v1/waves/{LATEST}/compare", params={"a": "equal", "b": "x"}, headers=api.h("admin")
    )
    assert unscored.status_code == 404 and "meihao score" in unscored.json()["detail"]


def test_a_preset_without_signal_is_refused_with_422(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sampling SEs of 100 points dwarf any spread of the community means: entropy on the
    # between-community signal is undefined, and the publication says so (issue 12, point 8).
    import scoring.stages.dimension_weights as stage

    real = stage.linearised_node_se

    def huge(*args: Any, **kwargs: Any) -> np.ndarray:
        return np.full_like(real(*args, **kwargs), 100.0)

    monkeypatch.setattr(stage, "linearised_node_se", huge)
    response = api.publish(
        {"name": "entropy-noise", "dimension_weights": {"method": "entropy"}}, resolve_wave=LATEST
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "entropy dimension weights refused" in detail and "within noise" in detail
    assert api.audit("publish_weight_model") == []
