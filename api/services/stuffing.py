"""Ballot-stuffing review for one wave: run ``scoring.stuffing`` on the stored responses, keep
what it finds as ``suspect_batch`` rows, and let an admin quarantine or clear a batch.

The scan is part of the wave's flow, not of the admin page: it runs as a ``scan`` job of the
queue (api/services/jobs.py) while the wave is open, whenever :func:`waves_due_for_scan` says
new answers have waited ``interval`` since the last scan (the schedule in
api/services/schedule.py enqueues it, from the server and from ``meihao worker``), and again in
the wave's ``close`` job just before its final snapshot. Opening the admin page scans too.

Quarantine never deletes: the batch's responses stay stored and are left out of the next
snapshots by the ``quarantined`` rule of the exclusion policy (api/services/exclusions.py).
Every decision leaves an audit event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, col, select

from scoring.stuffing import detect_bursts
from survey.errors import ConflictError, NotFoundError
from survey.storage.matrix import load_wave_matrix
from survey.storage.models import AuditEvent, Community, Response, ScoreJob, SuspectBatch, Wave
from survey.storage.waves import as_utc, effective_status

SCAN = "scan"  # the job kind


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
        evidence = {**burst.evidence, "community": matrix.community_codes[burst.group]}
        known = session.exec(
            select(SuspectBatch).where(
                SuspectBatch.wave_id == wave.id, SuspectBatch.community_id == community_id
            )
        ).all()
        open_batch = next(
            (b for b in known if b.status == "flagged" and set(b.response_ids) & set(members)),
            None,
        )
        decided = {i for b in known if b.status != "flagged" for i in b.response_ids}
        if open_batch is not None:
            # a burst still under way when it was first found: its batch takes in what came
            # since, so that quarantining it removes the whole burst
            grown = sorted((set(open_batch.response_ids) | set(members)) - decided)
            if grown != sorted(open_batch.response_ids):
                open_batch.response_ids, open_batch.evidence = grown, evidence
                session.add(open_batch)
            continue
        # answers in no batch yet: a new batch (after a decision, what came later is one too,
        # for a decision of its own; a cleared burst found again adds nothing)
        members = [i for i in members if all(i not in b.response_ids for b in known)]
        if not members:
            continue
        session.add(
            SuspectBatch(
                wave_id=wave.id or 0,
                community_id=community_id or 0,
                first_response_id=members[0],
                response_ids=members,
                evidence=evidence,
            )
        )
    session.commit()
    return list(session.exec(select(SuspectBatch).where(SuspectBatch.wave_id == wave.id)).all())


def waves_due_for_scan(*, session: Session, now: datetime, interval: timedelta) -> list[Wave]:
    """Open waves with answers newer than their last scan, once that scan (or, before the first
    scan, the wave's first answer) is ``interval`` old: a burst is looked for at least once per
    interval while answers come in, and a quiet wave costs nothing."""
    due = []
    for wave in session.exec(select(Wave).where(Wave.status != "closed")).all():
        if effective_status(wave, now) != "open":
            continue
        first, last = session.exec(
            select(func.min(Response.submitted_at), func.max(Response.submitted_at)).where(
                Response.wave_id == wave.id
            )
        ).one()
        if last is None:
            continue
        scanned = session.exec(
            select(func.max(ScoreJob.created_at)).where(
                ScoreJob.wave_id == wave.id, col(ScoreJob.kind).in_((SCAN, "close"))
            )
        ).one()
        pending = session.exec(
            select(ScoreJob.id).where(
                ScoreJob.wave_id == wave.id,
                ScoreJob.kind == SCAN,
                col(ScoreJob.status).in_(("queued", "running")),
            )
        ).first()
        since = as_utc(scanned) if scanned is not None else as_utc(first)
        last_utc = as_utc(last)
        assert since is not None and last_utc is not None
        if pending is None and now - since >= interval and (scanned is None or last_utc > since):
            due.append(wave)
    return due


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
