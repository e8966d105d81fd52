"""Computing and storing score snapshots, so reading results never recomputes the index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sqlmodel import Session, select

from api.services.bridge import RANDOM_STATE, score_matrix
from api.services.exclusions import (
    QUARANTINED,
    community_summaries,
    flags_of,
    policy_of,
    summary,
)
from api.services.framework_fingerprint import fingerprint_of
from api.services.rank_groups import rank_groups
from api.services.small_area import small_area_estimates
from api.services.weight_models import load_weight_model
from scoring.framework import Framework
from scoring.weight_model import WeightModel
from survey.storage.matrix import WaveMatrix, load_wave_matrix
from survey.storage.models import AuditEvent, ScoreSnapshot, SuspectBatch, Wave
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
            # the register's residents (weights of street and district figures) and lineage
            "population": int(matrix.populations[i]) if matrix.populations else None,
            "predecessors": list(matrix.predecessors[i]) if matrix.predecessors else [],
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


def mark_quarantined(*, session: Session, wave: Wave, matrix: WaveMatrix) -> None:
    """Add the ``quarantined`` flag to the matrix rows of the wave's quarantined batches."""
    ids = {
        int(i)
        for batch in session.exec(
            select(SuspectBatch).where(
                SuspectBatch.wave_id == wave.id, SuspectBatch.status == "quarantined"
            )
        ).all()
        for i in batch.response_ids
    }
    if not ids:
        return
    for row, response_id in enumerate(matrix.response_ids.tolist()):
        if response_id in ids:
            matrix.quality_flags[row] = (*matrix.quality_flags[row], QUARANTINED)


def excluded_response_ids(*, session: Session, wave: Wave) -> set[int]:
    """Ids of the responses the wave's exclusion policy leaves out of its snapshots (for
    research exports that exclude flagged rows explicitly)."""
    from scoring import quality

    questionnaire = questionnaire_for_wave(session=session, wave=wave)
    matrix = load_wave_matrix(session=session, wave_code=wave.code)
    mark_quarantined(session=session, wave=wave, matrix=matrix)
    framework = Framework.from_dict(questionnaire.framework_dict())
    keep, _counts = quality.apply_exclusion_policy(flags_of(matrix, framework), policy_of(wave))
    return {int(i) for i in matrix.response_ids[~keep]}


def score_results(
    *,
    session: Session,
    wave: Wave,
    model: WeightModel,
    bootstrap: int,
    random_state: int = RANDOM_STATE,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """The ``results`` a snapshot stores: a pure function of the wave's responses, the model,
    ``bootstrap`` and ``random_state`` (recomputing reproduces them bit for bit).
    ``progress(done, B)`` follows the bootstrap replicates (a job's progress)."""
    questionnaire = questionnaire_for_wave(session=session, wave=wave)
    matrix = load_wave_matrix(session=session, wave_code=wave.code)
    framework = Framework.from_dict(questionnaire.framework_dict())
    mark_quarantined(session=session, wave=wave, matrix=matrix)
    policy = policy_of(wave)
    flags = flags_of(matrix, framework)
    result = score_matrix(
        matrix,
        framework,
        model,
        bootstrap=bootstrap,
        random_state=random_state,
        exclusion_policy=policy,
        quality_flags=flags,
        progress=progress,
    )
    results = result.to_dict()
    results["exclusions"] = summary(flags, policy)
    meta = community_metadata(matrix)
    per_community = community_summaries(
        flags, policy, matrix.community_index, len(matrix.community_codes)
    )
    for entry, counts in zip(meta, per_community, strict=True):
        entry["exclusions"] = counts  # the scorecard's "n received / excluded / scored"
    results["community_meta"] = meta
    results["strata_labels"] = list(matrix.stratum_labels)
    results["wave"] = wave.code
    # which items were asked, and how: a change across questionnaire versions is refused or
    # bridged on it (api/services/change_rule.py)
    results["framework_fingerprint"] = fingerprint_of(questionnaire)
    results["small_area"] = small_area_estimates(results)
    results["rank_sets"] = rank_groups(results)
    return results


def compute_snapshot(
    *, session: Session, wave_code: str, model_name: str | None, bootstrap: int, actor: str
) -> ScoreSnapshot:
    """Score ``wave_code`` with a weight model and store the result with its provenance, now
    (the CLI, the demo and tests; requests go through ``api.services.jobs``)."""
    wave = get_wave(session=session, code=wave_code)
    model = load_weight_model(session=session, name=model_name or wave.default_model)
    results = score_results(session=session, wave=wave, model=model, bootstrap=bootstrap)
    snapshot = store_snapshot(
        session=session, wave=wave, model=model, results=results, bootstrap=bootstrap, actor=actor
    )
    session.commit()
    session.refresh(snapshot)
    return snapshot


def store_snapshot(
    *,
    session: Session,
    wave: Wave,
    model: WeightModel,
    results: dict[str, Any],
    bootstrap: int,
    actor: str,
    job_id: int | None = None,
) -> ScoreSnapshot:
    """Add the snapshot and its audit event to the session (the caller commits)."""
    assert wave.id is not None
    snapshot = ScoreSnapshot(
        wave_id=wave.id,
        model_name=model.name,
        model_version=model.version,
        data_hash=results["provenance"]["data_sha256"],
        results=results,
        job_id=job_id,
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
                "job": job_id,
            },
        )
    )
    session.flush()
    return snapshot
