"""The wave matrix loader's fast paths (driver cursor, flags parsed per distinct text, plain
community rows) give what the stored rows say, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey.storage.matrix import load_wave_matrix
from survey.storage.models import Response
from survey.storage.responses import submit_response
from tests.support.factories import MARGINS, complete_answers, new_client_id, seed_minimal


def test_rows_flags_and_communities_come_back_in_order(engine: Engine) -> None:
    seed_minimal(engine)
    started_long_ago = datetime.now(UTC) - timedelta(minutes=20)
    plan = [  # community, likert, started_at, honeypot → expected flags
        ("C2", 1, started_long_ago, False),
        ("C1", 9, datetime.now(UTC), True),  # speeder and honeypot
        ("C2", 5, None, False),
    ]
    for community, likert, started, honeypot in plan:
        with Session(engine) as session:
            submit_response(
                session=session,
                wave_code="W1",
                community_code=community,
                client_id=new_client_id(),
                answers=complete_answers(likert=likert),
                started_at=started,
                honeypot=honeypot,
            )
    with Session(engine) as session:
        matrix = load_wave_matrix(session=session, wave_code="W1")
        stored = session.exec(select(Response).order_by(Response.id)).all()  # type: ignore[arg-type]

    assert matrix.response_ids.tolist() == [r.id for r in stored]
    assert [list(f) for f in matrix.quality_flags] == [r.quality_flags for r in stored]
    assert matrix.quality_flags[1] == ("speeder", "honeypot") and matrix.quality_flags[0] == ()
    assert matrix.community_codes == ["C1", "C2"] and matrix.community_index.tolist() == [1, 0, 1]
    assert matrix.community_streets == ["S1", "S1"] and matrix.street_names == {"S1": "测试街道"}
    assert matrix.housing_types == ["商品房小区", "商品房小区"]
    labels = matrix.stratum_labels
    assert matrix.margins.shape == (2, len(labels))
    assert matrix.margins[0, labels.index("60-69|female")] == MARGINS["60-69|female"]
    # 9 is the don't-know code: NaN in X, True in dont_know; the others are the answers given.
    first = matrix.codes.index("D1.1")
    assert matrix.X[:, first].tolist()[::2] == [1.0, 5.0] and np.isnan(matrix.X[1, first])
    assert matrix.dont_know[:, first].tolist() == [False, True, False]
    assert np.isnan(matrix.durations[2]) and 1150 < matrix.durations[0] < 1300
