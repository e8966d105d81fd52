"""Scoring as background jobs: a queue in the database that any number of workers share.

Closing a wave or asking for a snapshot only *enqueues* a :class:`ScoreJob`; the request
answers 202 with the job's address at once, and a worker (``meihao worker``, several may run
on PostgreSQL) computes the snapshot. On SQLite, or wherever ``MEIHAO_JOBS_IN_PROCESS`` says so,
the server runs the same :func:`run_job` itself right after sending the response.

Why a table and no queue library: the queue must commit atomically with what it belongs to (a
wave's status change and its final-snapshot job are one transaction), must work on SQLite and
PostgreSQL alike, and its guarantees fit in three statements:

- **Claim** with one conditional ``UPDATE … WHERE status = 'queued' OR lease expired``: of two
  workers racing for a job, exactly one sees ``rowcount == 1``. No ``SELECT … FOR UPDATE``
  is needed, so SQLite and PostgreSQL run the same code.
- **Lease**: a running job belongs to the holder of ``lease_token`` until
  ``lease_expires_at``; a heartbeat thread extends it while the numerics run, so a worker
  killed with SIGKILL loses the job after one lease and another worker takes it over.
- **Finish** in one transaction that first marks the job done *only if the lease is still
  ours*, then stores the snapshot with ``job_id`` (a unique column): a job never writes two
  snapshots, even if a worker that lost its lease wakes up and tries.

Besides snapshots (kinds ``snapshot`` and ``close``), the queue runs the ballot-stuffing scan
of an open wave (kind ``scan``, api/services/stuffing.py): it stores suspect batches and no
snapshot. A ``close`` job scans too, before its final snapshot, so a burst of the wave's last
hours is flagged even if no scheduled scan came after it.

Domain errors (a wave with too few answers, a model that does not fit) cannot be fixed by
retrying: the job goes ``dead`` at once with the message. Anything else (a lost connection, a
crash) is retried up to ``max_attempts``.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.services.snapshots import score_results, store_snapshot
from api.services.stuffing import SCAN, scan_wave
from api.services.weight_models import load_weight_model
from survey.errors import NotFoundError, SurveyError
from survey.storage.models import AuditEvent, ScoreJob, Wave, utcnow

DEFAULT_LEASE_S = 60.0
ERROR_CHARS = 2000
# The job row's replicate count is written at most this often (and once at the end): a city
# wave's bootstrap reports after every block of communities, far more often than anyone looks.
PROGRESS_EVERY_S = 0.5

#: ``progress(stage, done, total)``: what a worker or the CLI is told as a job runs (the stage,
#: and the bootstrap replicates done out of the job's B).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Claim:
    """A job this worker holds, and the token that proves it."""

    job_id: int
    token: str


def enqueue(
    *,
    session: Session,
    kind: str,
    wave: Wave,
    model_name: str | None,
    bootstrap: int,
    actor: str,
) -> ScoreJob:
    """Add a job (the caller commits, together with whatever the job belongs to)."""
    assert wave.id is not None
    job = ScoreJob(
        kind=kind, wave_id=wave.id, model_name=model_name, bootstrap=bootstrap, actor=actor
    )
    session.add(job)
    session.flush()
    session.add(
        AuditEvent(
            actor=actor,
            action="enqueue_score_job",
            target=wave.code,
            detail={"job": job.id, "kind": kind, "model": model_name, "bootstrap": bootstrap},
        )
    )
    return job


def get_job(*, session: Session, job_id: int) -> ScoreJob:
    job = session.get(ScoreJob, job_id)
    if job is None:
        raise NotFoundError(f"no job with id {job_id}")
    return job


def latest_jobs(*, session: Session) -> dict[int, ScoreJob]:
    """Each wave's most recent job (the admin waves page shows how it is going)."""
    newest = select(func.max(ScoreJob.id)).group_by(col(ScoreJob.wave_id))
    jobs = session.exec(select(ScoreJob).where(col(ScoreJob.id).in_(newest))).all()
    return {job.wave_id: job for job in jobs}


def _claimable(now: datetime) -> Any:
    return or_(
        col(ScoreJob.status) == "queued",
        and_(col(ScoreJob.status) == "running", col(ScoreJob.lease_expires_at) < now),
    )


def claim(
    engine: Engine, *, lease_s: float = DEFAULT_LEASE_S, job_id: int | None = None
) -> Claim | None:
    """Take the oldest claimable job (or ``job_id`` only), or ``None`` when there is none."""
    now = utcnow()
    with Session(engine) as session:
        # A job whose worker died on its last attempt is not retried again.
        session.execute(
            update(ScoreJob)
            .where(
                col(ScoreJob.status) == "running",
                col(ScoreJob.lease_expires_at) < now,
                col(ScoreJob.attempts) >= col(ScoreJob.max_attempts),
            )
            .values(
                status="dead",
                stage="dead",
                lease_token=None,
                finished_at=now,
                error="the worker stopped (lease expired) on the last attempt",
            )
        )
        session.commit()
        query = select(ScoreJob.id).where(_claimable(now)).order_by(col(ScoreJob.id)).limit(8)
        if job_id is not None:
            query = query.where(col(ScoreJob.id) == job_id)
        for candidate in session.exec(query).all():
            token = secrets.token_hex(16)
            taken = session.execute(
                update(ScoreJob)
                .where(col(ScoreJob.id) == candidate, _claimable(now))
                .values(
                    status="running",
                    stage="starting",
                    lease_token=token,
                    lease_expires_at=now + timedelta(seconds=lease_s),
                    attempts=col(ScoreJob.attempts) + 1,
                    started_at=now,
                )
            )
            session.commit()
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                assert candidate is not None
                return Claim(candidate, token)
    return None


def _held(claim_: Claim) -> Any:
    return and_(
        col(ScoreJob.id) == claim_.job_id,
        col(ScoreJob.lease_token) == claim_.token,
        col(ScoreJob.status) == "running",
    )


def _report(engine: Engine, claim_: Claim, **values: Any) -> bool:
    """Update the job while we hold it; ``False`` once the lease is lost."""
    with Session(engine) as session:
        done = session.execute(update(ScoreJob).where(_held(claim_)).values(**values))
        session.commit()
        return bool(done.rowcount == 1)  # type: ignore[attr-defined]


class _Heartbeat:
    """Extends the lease every third of it while the numerics run (a killed process stops)."""

    def __init__(self, engine: Engine, claim_: Claim, lease_s: float) -> None:
        self._engine, self._claim, self._lease_s = engine, claim_, lease_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name="job-heartbeat")

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._lease_s / 3):
            expires = utcnow() + timedelta(seconds=self._lease_s)
            if not _report(self._engine, self._claim, lease_expires_at=expires):
                return


class _Replicates:
    """Writes the bootstrap's progress on the job row (throttled) and tells ``say``."""

    def __init__(self, engine: Engine, claim_: Claim, say: Progress) -> None:
        self._engine, self._claim, self._say = engine, claim_, say
        self._written_at = -float("inf")
        self._written = -1

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == self._written or (done < total and now - self._written_at < PROGRESS_EVERY_S):
            return
        self._written_at, self._written = now, done
        _report(self._engine, self._claim, progress_done=done, progress_total=total)
        self._say("bootstrap", done, total)


def run_job(
    engine: Engine,
    claim_: Claim,
    *,
    lease_s: float = DEFAULT_LEASE_S,
    progress: Progress | None = None,
) -> str:
    """Compute and store the snapshot of a claimed job; returns its final status.

    While the bootstrap runs, the job row's ``progress_done`` counts the replicates finished
    out of ``progress_total`` (= the job's B), so ``GET /api/v1/jobs/{id}``, the admin waves
    page and ``progress`` all see it move."""
    say = progress or (lambda _stage, _done, _total: None)
    try:
        with _Heartbeat(engine, claim_, lease_s):
            with Session(engine) as session:
                job = get_job(session=session, job_id=claim_.job_id)
                wave = session.get(Wave, job.wave_id)
                assert wave is not None
                if job.kind in (SCAN, "close"):
                    _report(engine, claim_, stage="scanning")
                    say("scanning", 0, 0)
                    scan_wave(session=session, wave=wave)
                if job.kind == SCAN:
                    return _finish_scan(engine, claim_)
                model = load_weight_model(
                    session=session, name=job.model_name or wave.default_model
                )
                _report(
                    engine, claim_, stage="scoring", progress_done=0, progress_total=job.bootstrap
                )
                say("scoring", 0, job.bootstrap)
                results = score_results(
                    session=session,
                    wave=wave,
                    model=model,
                    bootstrap=job.bootstrap,
                    progress=_Replicates(engine, claim_, say),
                )
                total = job.bootstrap
            _report(engine, claim_, stage="storing", progress_done=total)
            say("storing", total, total)
            return _finish(engine, claim_, wave_code=wave.code, model=model, results=results)
    except (SurveyError, ValueError) as error:  # ScoringError is a ValueError: not retryable
        _fail(engine, claim_, error, retry=False)
        return "dead"
    except Exception as error:
        return _fail(engine, claim_, error, retry=True)


def _finish(
    engine: Engine, claim_: Claim, *, wave_code: str, model: Any, results: dict[str, Any]
) -> str:
    with Session(engine) as session:
        now = utcnow()
        held = session.execute(
            update(ScoreJob)
            .where(_held(claim_))
            .values(status="done", stage="done", finished_at=now, lease_token=None)
        )
        if held.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()  # another worker took the job over: it stores, we do not
            return "lost"
        job = get_job(session=session, job_id=claim_.job_id)
        wave = session.get(Wave, job.wave_id)
        assert wave is not None
        snapshot = store_snapshot(
            session=session,
            wave=wave,
            model=model,
            results=results,
            bootstrap=job.bootstrap,
            actor=job.actor,
            job_id=job.id,
        )
        job.snapshot_id = snapshot.id
        job.progress_done = job.bootstrap
        session.add(job)
        session.commit()
    return "done"


def _finish_scan(engine: Engine, claim_: Claim) -> str:
    """Mark a scan job done (its batches are stored already: a scan is idempotent, so a scan
    that lost its lease and stored anyway did no harm)."""
    with Session(engine) as session:
        held = session.execute(
            update(ScoreJob)
            .where(_held(claim_))
            .values(status="done", stage="done", finished_at=utcnow(), lease_token=None)
        )
        session.commit()
    return "done" if held.rowcount == 1 else "lost"  # type: ignore[attr-defined]


def _fail(engine: Engine, claim_: Claim, error: Exception, *, retry: bool) -> str:
    with Session(engine) as session:
        job = session.get(ScoreJob, claim_.job_id)
        again = retry and job is not None and job.attempts < job.max_attempts
        status = "queued" if again else "dead"
        session.execute(
            update(ScoreJob)
            .where(_held(claim_))
            .values(
                status=status,
                stage=status,
                lease_token=None,
                finished_at=None if again else utcnow(),
                error=f"{type(error).__name__}: {error}"[:ERROR_CHARS],
            )
        )
        session.commit()
    return status


def run_pending(
    engine: Engine,
    *,
    lease_s: float = DEFAULT_LEASE_S,
    job_id: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Run claimable jobs until none is left (or just ``job_id``); returns how many ran."""
    ran = 0
    while (claim_ := claim(engine, lease_s=lease_s, job_id=job_id)) is not None:
        run_job(engine, claim_, lease_s=lease_s, progress=progress)
        ran += 1
    return ran


class TaskRunner(Protocol):
    """What runs work after a response (FastAPI's ``BackgroundTasks``)."""

    def add_task(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None: ...


def schedule(
    job: ScoreJob, *, session: Session, in_process: bool, tasks: TaskRunner, lease_s: float
) -> None:
    """After the job is committed: run it in this process once the response is sent (SQLite's
    default), or leave it to the workers. The same :func:`run_job` does the work either way."""
    if in_process:
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        tasks.add_task(run_pending, engine, lease_s=lease_s, job_id=job.id)
