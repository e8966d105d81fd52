"""Closing a survey wave: stop accepting answers and queue its final snapshot, atomically."""

from __future__ import annotations

from sqlmodel import Session

from api.services.jobs import enqueue
from survey.errors import ConflictError
from survey.storage.models import AuditEvent, ScoreJob, Wave, utcnow
from survey.storage.registry import get_wave


def close_wave(
    *, session: Session, wave_code: str, actor: str, bootstrap: int
) -> tuple[Wave, ScoreJob]:
    """Close ``wave_code`` and queue its final snapshot with the wave's default weight model.

    One transaction: the status change and the job commit together (so submissions that
    arrive meanwhile see a closed wave, or wait for the lock), and a job always exists for a
    closed wave. Scoring runs in the job; if it fails, the job says why (``status: dead``) and
    the admin can queue a new snapshot once the cause is fixed.
    """
    wave = get_wave(session=session, code=wave_code)
    if wave.status == "closed":
        raise ConflictError(f"wave {wave.code} is already closed")
    now = utcnow()
    wave.status = "closed"
    if wave.closes_at is None or wave.closes_at > now:
        wave.closes_at = now
    session.add(wave)
    session.add(
        AuditEvent(
            actor=actor,
            action="close_wave",
            target=wave.code,
            detail={"closes_at": now.isoformat(), "default_model": wave.default_model},
        )
    )
    job = enqueue(
        session=session, kind="close", wave=wave, model_name=None, bootstrap=bootstrap, actor=actor
    )
    session.commit()
    session.refresh(wave)
    session.refresh(job)
    return wave, job
