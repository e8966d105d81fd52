"""Genuine-looking answers for the intake-integrity tests (exclusions, stuffing, retention):
varied Likert answers in two seeded population cells, and a fortnight of them from distinct
addresses, backdated so that a later burst stands out in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey.storage.models import Response
from survey.storage.responses import submit_response
from tests.support.factories import complete_answers, new_client_id


def genuine(rng: np.random.Generator) -> dict[str, object]:
    """A complete sheet with random Likert answers, in one of the two seeded population cells."""
    answers = complete_answers()
    for code, value in list(answers.items()):
        if isinstance(value, int) and 1 <= value <= 5 and code.startswith("D"):
            answers[code] = int(rng.integers(1, 6))
    # people in both of the seeded population cells, so raking has something to weight
    answers["age_band"], answers["gender"] = (
        ("60-69", "female") if rng.random() < 0.5 else ("30-44", "male")
    )
    return answers


def honest_fortnight(engine: Engine, rng: np.random.Generator) -> None:
    """120 genuine answers from 120 addresses to C1 and C2 of wave W1, spread over the past two
    weeks (2.5 h apart)."""
    start = datetime.now(UTC) - timedelta(days=14)
    with Session(engine) as session:
        for k in range(120):
            receipt = submit_response(
                session=session,
                wave_code="W1",
                community_code=f"C{1 + k % 2}",
                client_id=new_client_id(),
                answers=genuine(rng),
                source_hash=f"h{k}",
            )
            row = session.get(Response, receipt.response_id)
            assert row is not None
            row.submitted_at = start + timedelta(hours=2.5 * k)
            session.add(row)
            session.commit()  # before the next submission opens its own transaction
        times = session.exec(select(Response.submitted_at)).all()
        assert min(t.replace(tzinfo=UTC) for t in times) <= start + timedelta(hours=1)
