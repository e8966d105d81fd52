"""Computing and storing score snapshots, so reading results never recomputes the index."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from api.services.weight_models import load_weight_model
from scoring.data import SurveyData
from scoring.framework import Framework
from survey.errors import NotFoundError
from survey.matrix import WaveMatrix, load_wave_matrix
from survey.models import AuditEvent, ScoreSnapshot, Wave
from survey.registry import get_wave, questionnaire_for_wave

# Fixed so that recomputing a snapshot from the same data and model reproduces it exactly.
RANDOM_STATE = 20260501


def survey_data(matrix: WaveMatrix) -> SurveyData:
    n_genders = 2
    cells = matrix.margins.shape[1]
    return SurveyData(
        X=matrix.X,
        codes=tuple(matrix.codes),
        group_index=matrix.community_index,
        group_codes=tuple(matrix.community_codes),
        strata=matrix.strata,
        margins=matrix.margins if cells else None,
        margin_shape=(cells // n_genders, n_genders) if cells else None,
        durations=matrix.durations,
        priorities=matrix.priorities,
    )


def community_metadata(matrix: WaveMatrix) -> list[dict[str, Any]]:
    counts = np.bincount(matrix.community_index, minlength=len(matrix.community_codes))
    return [
        {"code": code, "name": name, "street": street, "street_name": matrix.street_names[street],
         "housing_type": housing, "responses": int(k)}
        for code, name, street, housing, k in zip(
            matrix.community_codes, matrix.community_names, matrix.community_streets,
            matrix.housing_types, counts, strict=True)
    ]


def compute_snapshot(*, session: Session, wave_code: str, model_name: str | None,
                     bootstrap: int, actor: str) -> ScoreSnapshot:
    """Score ``wave_code`` with a weight model and store the result with its provenance."""
    from scoring.pipeline import score_wave  # the heavy numerics load only when scoring

    wave = get_wave(session=session, code=wave_code)
    model = load_weight_model(session=session, name=model_name or wave.default_model)
    questionnaire = questionnaire_for_wave(session=session, wave=wave)
    matrix = load_wave_matrix(session=session, wave_code=wave.code)
    framework = Framework.from_dict(questionnaire.framework_dict())
    result = score_wave(survey_data(matrix), framework, model, bootstrap=bootstrap,
                        random_state=RANDOM_STATE)
    results = result.to_dict()
    results["community_meta"] = community_metadata(matrix)
    results["wave"] = wave.code
    assert wave.id is not None
    snapshot = ScoreSnapshot(
        wave_id=wave.id, model_name=model.name, model_version=model.version,
        data_hash=results["provenance"]["data_hash"], results=results)
    session.add(snapshot)
    session.add(AuditEvent(actor=actor, action="score_wave", target=wave.code,
                           detail={"model": model.name, "model_version": model.version,
                                   "bootstrap": bootstrap,
                                   "data_hash": snapshot.data_hash}))
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
            f"run `meihao score --wave {wave.code} --model {name}`")
    return snapshot
