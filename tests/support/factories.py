"""Small, explicit test data: a two-community district and complete, valid answer sets."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.engine import Engine

from survey.questionnaire.model import Questionnaire, load_default
from survey.storage.access import open_link_token
from survey.storage.db import session_scope
from survey.storage.models import Wave
from survey.storage.registry import store_questionnaire, upsert_community, upsert_street

MARGINS = {"60-69|female": 100.0, "30-44|male": 80.0}


def seed_minimal(engine: Engine, *, wave_status: str = "open") -> None:
    """Street S1 with communities C1 and C2, the default questionnaire and wave W1."""
    with session_scope(engine) as session:
        street = upsert_street(session=session, code="S1", name="测试街道")
        for code, name in (("C1", "一号社区"), ("C2", "二号社区")):
            upsert_community(
                session=session,
                code=code,
                name=name,
                street=street,
                housing_type="商品房小区",
                population=1000,
                margins=MARGINS,
            )
        record = store_questionnaire(session=session, questionnaire=load_default())
        assert record.id is not None
        session.add(Wave(code="W1", questionnaire_id=record.id, status=wave_status))


def adult_option(q: Questionnaire, code: str) -> str:
    """An option of ``code`` that does not end the survey (skips any under-18 option)."""
    for option in q.item(code).options:  # type: ignore[union-attr]
        if "under" not in option.value and "17" not in option.value:
            return str(option.value)
    raise AssertionError(f"{code} has no adult option")


def complete_answers(
    q: Questionnaire | None = None, *, likert: int = 4, rating: int = 7
) -> dict[str, Any]:
    """Every required item answered with a valid value, as a resident would submit it."""
    q = q or load_default()
    answers: dict[str, Any] = {}
    for item in q.items:
        if item.kind == "likert":
            answers[item.code] = likert
        elif item.kind == "rating":
            answers[item.code] = max(item.low, min(item.high, rating))  # type: ignore[union-attr]
        elif item.kind == "single_choice":
            answers[item.code] = adult_option(q, item.code)
        elif item.kind == "multi_choice":
            answers[item.code] = [item.options[0].value]  # type: ignore[union-attr]
        elif item.kind == "numeric":
            answers[item.code] = item.min if item.min is not None else 0  # type: ignore[union-attr]
    return q.validate_answers(answers)


def new_client_id() -> str:
    return str(uuid.uuid4())


TEST_SECRET = "test-secret"  # the secret of the test apps (tests/api/conftest.py, live.py)


def link_token(wave: str = "W1", community: str = "C1", secret: str = TEST_SECRET) -> str:
    """The signed open-link token a JSON submission carries as ``link``."""
    return open_link_token(secret=secret, wave_code=wave, community_code=community)
