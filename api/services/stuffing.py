"""Ballot-stuffing review for one wave: run ``scoring.stuffing`` on the stored responses, keep
what it finds as ``suspect_batch`` rows, and let an admin quarantine or clear a batch.

Quarantine never deletes: the batch's responses stay stored and are left out of the next
snapshots by the ``quarantined`` rule of the exclusion policy (api/services/exclusions.py).
Every decision leaves an audit event.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from sqlmodel import Session, select

from scoring.stuffing import detect_bursts
from survey.errors import ConflictError, NotFoundError
from survey.storage.matrix import load_wave_matrix
from survey.storage.models import AuditEvent, Community, Response, SuspectBatch, Wave


def scan_wave(*, session: Session, wave: Wave) -> list[SuspectBatch]:
    """Detect bursts in the wave, store the new ones as ``flagged``; all batches of the wave."""
    matrix = load_wave_matrix(session=session, wave_code=wave.code)
    ids = matrix.response_ids.tolist()
    rows = session.exec(
        select(
            Response.id, Response.submitted_at, Response.source_hash, Response.enumerator_id
        ).where(Response.wave_id == wave.id)
    ).all()
    info = {r[0]: r for r in rows}
    times = np.array([info[i][1].timestamp() for i in ids], dtype=float)
    # one enumerator is one source, whatever address their tablet has
    source = np.array(
        [f"e{info[i][3]}" if info[i][3] is not None else f"s{info[i][2]}" for i in ids]
    )
    codes = {c.code: c.id for c in session.exec(select(Community)).all()}
    for burst in detect_bursts(times, matrix.X, matrix.community_index, source):
        members = sorted(ids[r] for r in burst.rows)
        community_id = codes[matrix.community_codes[burst.group]]
        exists = session.exec(
            select(SuspectBatch).where(
                SuspectBatch.wave_id == wave.id,
                SuspectBatch.community_id == community_id,
                SuspectBatch.first_response_id == members[0],
            )
        ).first()
        if exists is None:
            session.add(
                SuspectBatch(
                    wave_id=wave.id or 0,
                    community_id=community_id or 0,
                    first_response_id=members[0],
                    response_ids=members,
                    evidence={**burst.evidence, "community": matrix.community_codes[burst.group]},
                )
            )
    session.commit()
    return list(session.exec(select(SuspectBatch).where(SuspectBatch.wave_id == wave.id)).all())


def decide(*, session: Session, batch_id: int, status: str, actor: str) -> SuspectBatch:
    """Quarantine (``"quarantined"``) or clear (``"cleared"``) a batch; audited."""
    if status not in ("quarantined", "cleared"):
        raise ConflictError(f"a batch is quarantined or cleared, not {status!r}")
    batch = session.get(SuspectBatch, batch_id)
    if batch is None:
        raise NotFoundError(f"no suspect batch {batch_id}")
    before = batch.status
    batch.status, batch.decided_by, batch.decided_at = status, actor, datetime.now(UTC)
    session.add(batch)
    session.add(
        AuditEvent(
            actor=actor,
            action=f"batch.{status}",
            target=str(batch_id),
            detail={"before": before, "responses": len(batch.response_ids)},
        )
    )
    session.commit()
    return batch
