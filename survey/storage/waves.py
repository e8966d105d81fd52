"""A wave's life: created (scheduled) → open → closed, and reopened with a reason.

The schedule needs no background thread: :func:`effective_status` reads the stored status with
the clock (a scheduled wave whose ``opens_at`` has passed is open; an open wave whose
``closes_at`` has passed is closed), and every submission is checked with it. The stored status
catches up when staff next look (``due_transitions``; the api closes due waves with rescoring).
Closing itself, with its final snapshot, is ``api.services.waves.close_wave``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from survey.errors import ConflictError, SurveyError
from survey.storage.models import AuditEvent, QuestionnaireRecord, Wave, utcnow
from survey.storage.registry import get_wave

STATUSES = ("scheduled", "open", "closed")
ACCESS_MODES = ("open", "invitation")


def as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_moment(text: str | None) -> datetime | None:
    """An ISO 8601 date or time; without an offset it is Beijing time (UTC+8), as written."""
    if not text:
        return None
    from datetime import timedelta, timezone

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SurveyError(f"{text!r} is not an ISO date or time (e.g. 2026-06-01T08:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone(timedelta(hours=8)))
    return moment.astimezone(UTC)


def effective_status(wave: Wave, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    opens, closes = as_utc(wave.opens_at), as_utc(wave.closes_at)
    if wave.status == "closed":
        return "closed"
    if closes is not None and closes <= now:
        return "closed"
    if opens is not None and opens > now:
        return "scheduled"  # not yet, whatever the stored status says
    if wave.status == "scheduled":
        return "open" if opens is not None else "scheduled"
    return "open"


def window_text(wave: Wave) -> str:
    """The wave's dates as residents and API clients are told them (Beijing time)."""
    from datetime import timedelta, timezone

    cst = timezone(timedelta(hours=8))

    def show(moment: datetime | None) -> str:
        m = as_utc(moment)
        return m.astimezone(cst).strftime("%Y-%m-%d %H:%M") if m else "—"

    return f"{show(wave.opens_at)} – {show(wave.closes_at)} (UTC+8)"


def exclusion_policy_from(option: str | None) -> dict[str, Any] | None:
    """``default`` → None (the default policy), ``none`` → keep every response, or a JSON file."""
    if option in (None, "", "default"):
        return None
    if option == "none":
        return {"exclude": []}
    path = Path(option)
    try:
        policy = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SurveyError(f"exclusion policy {option}: not a readable JSON file ({exc})") from None
    if not isinstance(policy, dict):
        raise SurveyError(f"exclusion policy {option}: the JSON must be an object")
    return policy


def create_wave(
    *,
    session: Session,
    code: str,
    questionnaire: QuestionnaireRecord,
    actor: str,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    access_mode: str = "open",
    default_model: str = "equal",
    exclusion_policy: dict[str, Any] | None = None,
) -> Wave:
    """A new wave, scheduled: it opens with ``open_wave`` or by itself at ``opens_at``."""
    if not code or len(code) > 32:
        raise SurveyError("a wave code is 1 to 32 characters")
    if session.exec(select(Wave).where(Wave.code == code)).first() is not None:
        raise ConflictError(f"wave {code} already exists")
    if not questionnaire.published:
        raise ConflictError(
            f"questionnaire {questionnaire.slug} v{questionnaire.version} is a draft; "
            "only a published version can run a wave"
        )
    if access_mode not in ACCESS_MODES:
        raise SurveyError(f"access mode is one of {', '.join(ACCESS_MODES)}, not {access_mode!r}")
    opens_at, closes_at = as_utc(opens_at), as_utc(closes_at)
    if opens_at and closes_at and closes_at <= opens_at:
        raise SurveyError("the wave must close after it opens")
    wave = Wave(
        code=code,
        questionnaire_id=questionnaire.id or 0,
        opens_at=opens_at,
        closes_at=closes_at,
        status="scheduled",
        access_mode=access_mode,
        default_model=default_model,
        exclusion_policy=exclusion_policy or {},  # {} = the default policy
    )
    session.add(wave)
    session.add(
        AuditEvent(
            actor=actor,
            action="wave.create",
            target=code,
            detail={
                "questionnaire": f"{questionnaire.slug}@{questionnaire.version}",
                "opens_at": opens_at.isoformat() if opens_at else None,
                "closes_at": closes_at.isoformat() if closes_at else None,
                "access_mode": access_mode,
                "default_model": default_model,
                "exclusion_policy": exclusion_policy,
            },
        )
    )
    session.flush()
    return wave


def open_wave(*, session: Session, code: str, actor: str) -> Wave:
    wave = get_wave(session=session, code=code)
    status = effective_status(wave)
    if wave.status == "open" and status == "open":
        raise ConflictError(f"wave {code} is already open")
    if status == "closed":
        raise ConflictError(f"wave {code} is closed; reopen it with a reason (wave reopen)")
    now = utcnow()
    wave.status = "open"
    if wave.opens_at is None or as_utc(wave.opens_at) > now:  # type: ignore[operator]
        wave.opens_at = now
    session.add(wave)
    session.add(AuditEvent(actor=actor, action="wave.open", target=code, detail={}))
    session.flush()
    return wave


def later_open_wave(*, session: Session, wave: Wave) -> Wave | None:
    """A wave created after ``wave`` that is open now (reopening would run two at once)."""
    later = session.exec(select(Wave).where(col(Wave.id) > (wave.id or 0))).all()
    return next((w for w in later if effective_status(w) == "open"), None)


def reopen_wave(
    *, session: Session, code: str, reason: str, actor: str, closes_at: datetime | None = None
) -> Wave:
    wave = get_wave(session=session, code=code)
    if not reason.strip():
        raise SurveyError("reopening a wave needs a reason (it is kept in the audit log)")
    if effective_status(wave) != "closed":
        raise ConflictError(f"wave {code} is not closed")
    later = later_open_wave(session=session, wave=wave)
    if later is not None:
        raise ConflictError(f"wave {code} cannot reopen: the later wave {later.code} is open")
    closes_at = as_utc(closes_at)
    if closes_at is not None and closes_at <= utcnow():
        raise SurveyError("the new closing time lies in the past")
    previous = wave.closes_at
    wave.status = "open"
    wave.closes_at = closes_at
    session.add(wave)
    session.add(
        AuditEvent(
            actor=actor,
            action="wave.reopen",
            target=code,
            detail={
                "reason": reason.strip(),
                "previous_closes_at": as_utc(previous).isoformat() if previous else None,  # type: ignore[union-attr]
                "closes_at": closes_at.isoformat() if closes_at else None,
            },
        )
    )
    session.flush()
    return wave


def due_transitions(
    *, session: Session, now: datetime | None = None
) -> tuple[list[Wave], list[Wave]]:
    """(waves to mark open, waves to close) whose stored status lags the clock."""
    now = now or datetime.now(UTC)
    to_open, to_close = [], []
    for wave in session.exec(select(Wave).where(Wave.status != "closed")).all():
        status = effective_status(wave, now)
        if status == "closed":
            to_close.append(wave)
        elif status == "open" and wave.status == "scheduled":
            to_open.append(wave)
    return to_open, to_close


def mark_opened(*, session: Session, waves: list[Wave]) -> None:
    for wave in waves:
        wave.status = "open"
        session.add(wave)
        session.add(AuditEvent(actor="schedule", action="wave.open", target=wave.code, detail={}))
    session.flush()
