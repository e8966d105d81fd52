"""Plausible submissions to ``POST /api/v1/responses``.

The OpenAPI example is one the default questionnaire accepts (every required item answered),
built from the questionnaire so it stays valid when that changes (tests/api/test_hardening.py
posts it); ``started_at`` must be a time a resident could have opened the form.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from survey.questionnaire.model import load_default

EARLIEST_START = datetime(2020, 1, 1, tzinfo=UTC)  # before meihao existed: not a real start
LATEST_SKEW = timedelta(days=1)  # a phone's clock may be off, but not by more than a day


def example_answers() -> dict[str, Any]:
    q = load_default()
    answers: dict[str, Any] = {}
    for item in q.items:
        options = [o.value for o in getattr(item, "options", [])]
        if item.kind == "likert":
            answers[item.code] = 4
        elif item.kind == "rating":
            answers[item.code] = max(item.low, min(item.high, 8))
        elif item.kind == "single_choice":  # an adult's answer (an under-18 one ends the form)
            answers[item.code] = next(
                str(v) for v in options if "under" not in str(v) and "17" not in str(v)
            )
        elif item.kind == "multi_choice":
            answers[item.code] = [options[0]]
        elif item.kind == "numeric":
            answers[item.code] = item.min if item.min is not None else 0
    return q.validate_answers(answers)


# The shape of a community's open-link token (the part after /s/ on its poster).
EXAMPLE_LINK = "WyIyMDI2UTIiLCJDSDAxLTAwMSJd.3m1e…"


def example_submission(link: str = EXAMPLE_LINK) -> dict[str, Any]:
    """A complete submission through an open link (the link fixes wave and community)."""
    return {
        "link": link,
        "client_id": "0b6c1c7e-5d0b-4c47-9a43-2f3d3b1f6a10",
        "answers": example_answers(),
        "started_at": "2026-05-12T09:30:00+08:00",
    }


def plausible_start(value: datetime | None) -> datetime | None:
    """``started_at`` if it could be when a resident opened the form, else ValueError (422)."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if aware < EARLIEST_START:
        raise ValueError(f"started_at before {EARLIEST_START.date()} is not a plausible start")
    if aware > datetime.now(UTC) + LATEST_SKEW:
        raise ValueError("started_at is more than a day in the future")
    return value
