"""The submit path reads and validates a submission once (survey/storage/drafts.py hands what it
read to survey/storage/responses.py), and a hand-over for another place is not believed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey.questionnaire.model import Questionnaire
from survey.storage.drafts import submit_entry
from survey.storage.models import Response
from survey.storage.registry import get_community, get_wave, questionnaire_for_wave
from survey.storage.responses import Prepared, submit_response
from tests.support.factories import complete_answers, new_client_id, seed_minimal


def test_a_new_submission_is_validated_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_minimal(engine)
    answers = complete_answers()  # validated by the factory, before counting starts
    calls: list[int] = []
    real = Questionnaire.validate_answers

    def counting(self: Questionnaire, answers: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        return real(self, answers)

    monkeypatch.setattr(Questionnaire, "validate_answers", counting)
    with Session(engine, expire_on_commit=False) as session:
        receipt = submit_entry(
            session=session,
            wave=get_wave(session=session, code="W1"),
            community=get_community(session=session, code="C1"),
            client_id=new_client_id(),
            answers=answers,
            started_at=None,
            channel="api",
        )
    assert receipt.created and len(calls) == 1
    with Session(engine) as session:
        row = session.exec(select(Response)).one()
    assert row.answers == answers and row.id == receipt.response_id


def test_a_hand_over_for_another_community_is_ignored(engine: Engine) -> None:
    seed_minimal(engine)
    with Session(engine, expire_on_commit=False) as session:
        wave = get_wave(session=session, code="W1")
        other = get_community(session=session, code="C2")
        other_id = other.id
        questionnaire = questionnaire_for_wave(session=session, wave=wave)
        answers = complete_answers()
        stale = Prepared(wave, other, questionnaire, questionnaire.validate_answers(answers))
        receipt = submit_response(
            session=session,
            wave_code="W1",
            community_code="C1",
            client_id=new_client_id(),
            answers=answers,
            prepared=stale,
        )
    with Session(engine) as session:
        row = session.exec(select(Response).where(Response.id == receipt.response_id)).one()
        c1 = get_community(session=session, code="C1")
    assert row.community_id == c1.id != other_id
