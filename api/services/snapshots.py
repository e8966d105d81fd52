"""Computing and storing score snapshots, so reading results never recomputes the index."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from api.services.bridge import RANDOM_STATE, to_survey_data  # the seed, imported from here too
from api.services.weight_models import load_weight_model
from scoring.framework import Framework
from scoring.weight_model import WeightModel
from survey.errors import NotFoundError
from survey.storage.matrix import WaveMatrix, load_wave_matrix
from survey.storage.models import AuditEvent, ScoreSnapshot, Wave
from survey.storage.registry import get_wave, questionnaire_for_wave


def community_metadata(matrix: WaveMatrix) -> list[dict[str, Any]]:
    """Names, street, housing type and who answered, per community.

    ``sample_cells`` counts respondents per age band × gender cell (``strata_labels`` order,
    stored once in the results) and ``population_cells`` the population margins, so a
    scorecard can compare who answered with who lives there without reading responses.
    """
    m = len(matrix.community_codes)
    counts = np.bincount(matrix.community_index, minlength=m)
    cells = len(matrix.stratum_labels)
    known = matrix.strata >= 0
    sample = np.bincount(
        matrix.community_index[known] * max(cells, 1) + matrix.strata[known],
        minlength=m * max(cells, 1),
    ).reshape(m, max(cells, 1))[:, :cells]
    return [
        {
            "code": code,
            "name": name,
            "street": street,
            "street_name": matrix.street_names[street],
            "housing_type": housing,
            "responses": int(k),
            "sample_cells": [int(v) for v in sample[i]],
            "population_cells": [float(v) for v in matrix.margins[i]] if cells else [],
        }
        for i, (code, name, street, housing, k) in enumerate(
            zip(
                matrix.community_codes,
                matrix.community_names,
                matrix.community_streets,
                matrix.housing_types,
                counts,
                strict=True,
            )
        )
    ]


def score_results(
    *,
    session: Session,
    wave: Wave,
    model: WeightModel,
    bootstrap: int,
    random_state: int = RANDOM_STATE,
) -> dict[str, Any]:
    """The ``results`` a snapshot stores: a pure function of the wave's responses, the model,
    ``bootstrap`` and ``random_state`` (recomputing reproduces them bit for bit)."""
    from scoring.pipeline import score_wave  # the heavy numerics load only when scoring

    questionnaire = questionnaire_for_wave(session=session, wave=wave)
    matrix = load_wave_matrix(session=session, wave_code=wave.code)
    framework = Framework.from_dict(questionnaire.framework_dict())
    result = score_wave(
        # The notebooks' conversion too, so equal data give equal fingerprints.
        to_survey_data(matrix),
        framework,
        model,
        bootstrap=bootstrap,
        random_state=random_state,
    )
    results = result.to_dict()
    results["community_meta"] = community_metadata(matrix)
    results["strata_labels"] = list(matrix.stratum_labels)
    results["wave"] = wave.code
    return results


def compute_snapshot(
    *, session: Session, wave_code: str, model_name: str | None, bootstrap: int, actor: str
) -> ScoreSnapshot:
    """Score ``wave_code`` with a weight model and store the result with its provenance."""
    wave = get_wave(session=session, code=wave_code)
    model = load_weight_model(session=session, name=model_name or wave.default_model)
    results = score_results(session=session, wave=wave, model=model, bootstrap=bootstrap)
    assert wave.id is not None
    snapshot = ScoreSnapshot(
        wave_id=wave.id,
        model_name=model.name,
        model_version=int(model.version),
        data_hash=results["provenance"]["data_sha256"],
        results=results,
    )
    session.add(snapshot)
    session.add(
        AuditEvent(
            actor=actor,
            action="score_wave",
            target=wave.code,
            detail={
                "model": model.name,
                "model_version": model.version,
                "bootstrap": bootstrap,
                "data_hash": snapshot.data_hash,
            },
        )
    )
    session.commit()
    session.refresh(snapshot)
    return snapshot


def latest_snapshot(*, session: Session, wave: Wave, model_name: str | None) -> ScoreSnapshot:
    name = model_name or wave.default_model
    snapshot = session.exec(
        select(ScoreSnapshot)
        .where(ScoreSnapshot.wave_id == wave.id, ScoreSnapshot.model_name == name)
        .order_by(col(ScoreSnapshot.computed_at).desc(), col(ScoreSnapshot.id).desc())
    ).first()
    if snapshot is None:
        raise NotFoundError(
            f"wave {wave.code} has not been scored with weight model {name!r} yet; "
            f"run `meihao score --wave {wave.code} --model {name}`"
        )
    return snapshot
