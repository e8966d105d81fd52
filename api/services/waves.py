"""Closing a survey wave: stop accepting answers and publish its final snapshot, atomically."""

from __future__ import annotations

from sqlmodel import Session

from api.services.snapshots import compute_snapshot
from survey.errors import ConflictError
from survey.storage.models import AuditEvent, ScoreSnapshot, Wave, utcnow
from survey.storage.registry import get_wave


def close_wave(
    *, session: Session, wave_code: str, actor: str, bootstrap: int
) -> tuple[Wave, ScoreSnapshot]:
    """Close ``wave_code`` and recompute its snapshot with the wave's default weight model.

    One transaction: the status change is flushed first (so submissions that arrive meanwhile
    see a closed wave, or wait for the lock), then the wave is scored and both are committed
    together with their audit events. If scoring fails, the wave stays open and nothing is
    stored, so the admin can fix the cause and close again.
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
    try:
        session.flush()
        snapshot = compute_snapshot(
            session=session,
            wave_code=wave.code,
            model_name=None,
            bootstrap=bootstrap,
            actor=actor,
        )
    except BaseException:
        session.rollback()
        raise
    session.refresh(wave)
    return wave, snapshot
