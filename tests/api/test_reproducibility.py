"""A published number can be regenerated: a stored snapshot is recomputed bit for bit from its
own provenance (through the API, and in a notebook from the same data), frozen data-driven
weights do not move with the data, and tampering with the responses is detected."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.app import create_app
from api.services.bridge import score
from api.services.reproduce import canonical_json
from api.services.snapshot_store import clear_cache as clear_snapshot_cache
from api.settings import Settings
from survey.research import load_research_data
from survey.storage.models import Response, ScoreSnapshot, Wave
from tests.support.jobs import scored_snapshot
from tests.support.research import LATEST, WAVES, seeded_database, token_for

MODEL = {
    "name": "repro",
    "dimension_weights": {"D1": 2, "D2": 1, "D3": 1, "D4": 1, "D5": 1, "D6": 2},
}


@pytest.fixture
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    url = seeded_database(tmp_path_factory)
    settings = Settings(database_url=url, secret_key="test-secret", bootstrap_replicates=30)
    # Parsed snapshots are cached per process by id; ids repeat across test databases.
    clear_snapshot_cache()
    with TestClient(create_app(settings)) as test_client:
        yield test_client, {"Authorization": f"Bearer {token_for(url, 'researcher')}"}
    clear_snapshot_cache()


def snapshot_row(client: TestClient, snapshot_id: int) -> ScoreSnapshot:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.get(ScoreSnapshot, snapshot_id)
        assert row is not None
        return row


def publish_and_score(
    client: TestClient,
    headers: dict[str, str],
    model: dict[str, Any],
    wave: str = LATEST,
    **body: Any,
) -> dict[str, Any]:
    published = client.post("/api/v1/weight-models", json={"model": model, **body}, headers=headers)
    assert published.status_code == 201, published.text
    snap = client.post(
        f"/api/v1/waves/{wave}/snapshots", params={"model": model["name"]}, headers=headers
    )
    return scored_snapshot(client, snap, headers)


def test_a_snapshot_is_reproduced_bit_for_bit_even_after_its_model_is_retired(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    test_client, headers = client
    snap = publish_and_score(test_client, headers, MODEL)
    check = test_client.post(f"/api/v1/snapshots/{snap['id']}/reproduce", headers=headers)
    assert check.status_code == 200, check.text
    assert check.json()["identical"] is True and check.json()["differences"] == []
    assert check.json()["recomputed_data_hash"] == snap["data_hash"]
    test_client.post("/api/v1/weight-models/repro/1/retire", headers=headers)
    again = test_client.post(f"/api/v1/snapshots/{snap['id']}/reproduce", headers=headers)
    assert again.json()["identical"] is True


def test_a_snapshot_stored_with_string_model_versions_is_still_identical(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    test_client, headers = client
    snap = publish_and_score(test_client, headers, MODEL)
    with Session(test_client.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.get(ScoreSnapshot, snap["id"])
        assert row is not None
        results = json.loads(json.dumps(row.results))
        provenance = results["provenance"]
        assert provenance["model"]["version"] == 1
        provenance["model"]["version"] = "1"  # as snapshots were stored before
        provenance["model_definition"]["version"] = "1"
        row.results = results
        session.add(row)
        session.commit()
    clear_snapshot_cache()
    check = test_client.post(f"/api/v1/snapshots/{snap['id']}/reproduce", headers=headers)
    assert check.status_code == 200, check.text
    assert check.json()["identical"] is True and check.json()["differences"] == []


def test_a_notebook_reproduces_the_stored_snapshot_from_the_same_data(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    test_client, headers = client
    snap = publish_and_score(test_client, headers, MODEL)
    stored = snapshot_row(test_client, snap["id"])
    provenance = stored.results["provenance"]
    url = test_client.app.state.settings.database_url  # type: ignore[attr-defined]
    data = load_research_data(url, LATEST)
    result = score(
        data,
        provenance["model_definition"],
        bootstrap=provenance["bootstrap"],
        random_state=provenance["random_state"],
    )
    mine = json.loads(canonical_json(result.to_dict()))
    theirs = {k: v for k, v in stored.results.items() if k in mine}
    assert canonical_json(mine) == canonical_json(theirs)
    assert result.provenance["data_sha256"] == stored.data_hash


def test_changed_responses_are_detected(client: tuple[TestClient, dict[str, str]]) -> None:
    test_client, headers = client
    snap = publish_and_score(test_client, headers, MODEL)
    with Session(test_client.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.exec(select(Response).order_by(Response.id.desc())).first()  # type: ignore[union-attr]
        assert row is not None
        vector = np.frombuffer(row.numeric, dtype="<i2").copy()
        vector[2] = 1 if vector[2] != 1 else 5  # one likert answer (slot 2 is D1.1)
        row.numeric = vector.tobytes()
        session.add(row)
        session.commit()
    check = test_client.post(f"/api/v1/snapshots/{snap['id']}/reproduce", headers=headers).json()
    assert check["identical"] is False
    assert check["recomputed_data_hash"] != check["data_hash"]
    assert check["differences"]


def test_frozen_data_driven_weights_do_not_move_with_the_data(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    test_client, headers = client
    model = {"name": "critic-frozen", "dimension_weights": {"method": "critic"}}
    first = publish_and_score(test_client, headers, model, wave=WAVES[0], resolve_wave=WAVES[0])
    later = scored_snapshot(
        test_client,
        test_client.post(
            f"/api/v1/waves/{LATEST}/snapshots", params={"model": "critic-frozen"}, headers=headers
        ),
        headers,
    )
    frozen = snapshot_row(test_client, first["id"]).results["dimension_weights"]
    assert snapshot_row(test_client, later["id"]).results["dimension_weights"] == frozen
    # Unfrozen, CRITIC on the later wave would have given other weights.
    url = test_client.app.state.settings.database_url  # type: ignore[attr-defined]
    moving = score(load_research_data(url, LATEST), model, bootstrap=0)
    assert not np.allclose(moving.dimension_weights, [frozen[c] for c in moving.dimension_codes])


def test_a_snapshot_without_provenance_cannot_be_reproduced_and_says_so(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    test_client, headers = client
    with Session(test_client.app.state.engine) as session:  # type: ignore[attr-defined]
        wave = session.exec(select(Wave).where(Wave.code == LATEST)).one()
        assert wave.id is not None
        old = ScoreSnapshot(
            wave_id=wave.id,
            model_name="equal",
            model_version=1,
            data_hash="0" * 64,
            results={"provenance": {}, "communities": []},
        )
        session.add(old)
        session.commit()
        session.refresh(old)
    check = test_client.post(f"/api/v1/snapshots/{old.id}/reproduce", headers=headers)
    assert check.status_code == 409 and "cannot be recomputed" in check.json()["detail"]
    missing = test_client.post("/api/v1/snapshots/999999/reproduce", headers=headers)
    assert missing.status_code == 404
