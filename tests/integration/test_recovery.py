"""The equal-weight index, computed through storage and the scoring engine, recovers the
synthetic district's true ordering of communities."""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr
from sqlmodel import Session

from api.services.bridge import to_survey_data
from scoring.framework import Framework
from scoring.pipeline import score_wave
from scoring.weight_model import builtin_model
from survey.questionnaire.model import load_default
from survey.storage.db import make_engine
from survey.storage.matrix import load_wave_matrix
from survey.storage.migrate import upgrade
from survey.synthetic import generate_district
from survey.synthetic.seed import seed_database


def test_equal_weight_index_recovers_true_order(sqlite_url: str) -> None:
    district = generate_district(seed=7, waves=("2026Q2",), respondents_per_community=180)
    engine = make_engine(sqlite_url)
    upgrade(engine)
    seed_database(engine, district)
    with Session(engine) as session:
        matrix = load_wave_matrix(session=session, wave_code="2026Q2")
    framework = Framework.from_dict(load_default().framework_dict())
    result = score_wave(
        to_survey_data(matrix), framework, builtin_model("equal"), bootstrap=0, random_state=1
    )
    rows = {c["code"]: c for c in result.to_dict()["communities"]}
    estimated = np.array([rows[c.code]["index"] for c in district.communities], dtype=float)
    truth = district.truth.index[0]
    rho = spearmanr(estimated, truth).statistic
    assert rho >= 0.9, rho
    # Raking to the population margins removes most of the older-respondent bias.
    assert abs(np.mean(estimated - truth)) < abs(np.mean(district.truth.sample_index[0] - truth))
    engine.dispose()
