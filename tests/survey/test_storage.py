"""Storage on a real SQLite file and a real PostgreSQL: schema, idempotent submission, matrix."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from survey.errors import AnswerValidationError, ConflictError, ImmutableError, NotFoundError
from survey.questionnaire.model import load_default
from survey.storage.db import session_scope
from survey.storage.encoding import decode_numeric, encode_numeric, numeric_layout
from survey.storage.matrix import load_wave_matrix
from survey.storage.models import Response, Wave
from survey.storage.registry import store_questionnaire
from survey.storage.responses import submit_response
from tests.support.factories import complete_answers, new_client_id, seed_minimal


def count_responses(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Response)).one())


def submit(engine: Engine, answers: dict[str, Any], client_id: str, **kw: Any) -> Any:
    with Session(engine) as session:
        return submit_response(
            session=session,
            wave_code=kw.get("wave", "W1"),
            community_code=kw.get("community", "C1"),
            client_id=client_id,
            answers=answers,
        )


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
    assert {"response", "community", "wave", "score_snapshot"} <= set(
        inspect(engine).get_table_names()
    )


def test_new_submission_then_identical_retry_then_changed_answers(engine: Engine) -> None:
    seed_minimal(engine)
    answers = complete_answers()
    client_id = new_client_id()
    first = submit(engine, answers, client_id)
    assert first.created
    retry = submit(engine, dict(answers), client_id)
    assert not retry.created and retry.response_id == first.response_id
    changed = dict(answers, **{"D1.1": 1})
    with pytest.raises(ConflictError, match="different submission"):
        submit(engine, changed, client_id)
    with Session(engine) as session:
        stored = session.exec(select(Response)).one()
    assert stored.answers["D1.1"] == answers["D1.1"]
    assert count_responses(engine) == 1


def test_rejected_submissions_store_nothing(engine: Engine) -> None:
    seed_minimal(engine)
    answers = complete_answers()
    with pytest.raises(NotFoundError, match="community"):
        submit(engine, answers, new_client_id(), community="NOPE")
    with pytest.raises(NotFoundError, match="wave"):
        submit(engine, answers, new_client_id(), wave="NOPE")
    with pytest.raises(AnswerValidationError) as excinfo:
        submit(engine, dict(answers, **{"D1.1": 7}), new_client_id())
    assert [p.field for p in excinfo.value.problems] == ["D1.1"]
    with pytest.raises(AnswerValidationError, match="client_id"):
        submit(engine, answers, "not-a-uuid")
    assert count_responses(engine) == 0


def test_closed_wave_refuses(engine: Engine) -> None:
    seed_minimal(engine, wave_status="closed")
    with pytest.raises(ConflictError, match="closed"):
        submit(engine, complete_answers(), new_client_id())
    assert count_responses(engine) == 0


def test_failure_inside_the_transaction_leaves_no_row(engine: Engine) -> None:
    seed_minimal(engine)
    q = load_default()
    answers = complete_answers(q)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        wave = session.exec(select(Wave)).one()
        assert wave.id is not None
        session.add(
            Response(
                client_id=new_client_id(),
                wave_id=wave.id,
                community_id=1,
                questionnaire_id=wave.questionnaire_id,
                payload_hash="x",
                answers=answers,
                numeric=encode_numeric(q, answers),
            )
        )
        session.flush()
        raise RuntimeError("injected failure after the first insert")
    assert count_responses(engine) == 0


def test_published_questionnaire_cannot_change(engine: Engine) -> None:
    seed_minimal(engine)
    q = load_default()
    edited = q.model_copy(update={"title": q.title.model_copy(update={"zh": "改过的标题"})})
    with pytest.raises(ImmutableError, match="new version"), session_scope(engine) as session:
        store_questionnaire(session=session, questionnaire=edited)


def test_wave_matrix_holds_the_submitted_values(engine: Engine) -> None:
    seed_minimal(engine)
    q = load_default()
    a = complete_answers(q, likert=5, rating=10)
    b = dict(complete_answers(q, likert=2, rating=1), **{"D1.1": 9, "gender": "male"})
    submit(engine, a, new_client_id(), community="C2")
    submit(engine, b, new_client_id(), community="C1")
    with Session(engine) as session:
        m = load_wave_matrix(session=session, wave_code="W1")
    assert m.X.shape == (2, len(m.codes))
    assert m.community_codes == ["C1", "C2"]
    assert list(m.community_index) == [1, 0]
    d11 = m.codes.index("D1.1")
    assert m.X[0, d11] == 5 and math.isnan(m.X[1, d11]) and m.dont_know[1, d11]
    assert m.X[1, m.codes.index("O1")] == 1
    # reverse-keyed items stay raw here: scoring applies the reverse key
    assert m.X[0, m.codes.index("D2.5")] == 5
    assert m.stratum_labels[m.strata[1]].endswith("|male")
    assert m.priorities.shape == (2, 18) and m.priorities.sum(axis=1).tolist() == [1, 1]
    assert m.margins.shape == (2, len(m.stratum_labels))
    assert m.margins[0, m.stratum_labels.index("60-69|female")] == 100.0


def test_numeric_vector_round_trip() -> None:
    q = load_default()
    answers = complete_answers(q, likert=3)
    slots = numeric_layout(q)
    decoded = decode_numeric([encode_numeric(q, answers)] * 3, len(slots))
    assert decoded.shape == (3, len(slots))
    for position, slot in enumerate(slots):
        value = answers.get(slot.code)
        expected = (
            -1
            if value is None
            else (
                int(slot.option in value)
                if slot.kind == "multi_choice"
                else q.option_index(slot.code, value)
                if slot.kind == "single_choice"
                else value
            )
        )
        assert np.all(decoded[:, position] == expected), slot
