"""The ballot-stuffing scan is part of the wave's flow: a scripted burst of 60 near-identical
answers to one community is flagged while the wave runs (a ``scan`` job the schedule queues) and
in the wave's close job, with nobody opening the admin page; once quarantined, the ranking is
what it was before the burst (issue 11, point 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.cli.main import main
from api.services import schedule
from api.services.jobs import run_pending
from api.services.snapshots import compute_snapshot
from api.services.stuffing import decide, scan_wave, waves_due_for_scan
from api.services.waves import close_wave
from api.settings import Settings, get_settings
from survey.storage.models import Response, ScoreJob, SuspectBatch, Wave
from tests.support.factories import link_token, new_client_id
from tests.support.honest_answers import genuine, honest_fortnight
from tests.support.staff import bearer, engine_of, seed_staff

HOUR = timedelta(hours=1)


def burst(
    client: TestClient, rng: np.random.Generator, n: int, sheet: dict[str, object] | None = None
) -> list[int]:
    """``n`` posts of one sheet (an answer changed now and then) from one address, through the
    public API with C1's poster link, as a script would send them; their response ids."""
    sheet = sheet or genuine(rng)
    client_ids = []
    for k in range(n):
        answers = dict(sheet, **({"D1.1": 1 + k % 5} if k % 3 == 0 else {}))
        client_ids.append(new_client_id())
        sent = client.post(
            "/api/v1/responses",
            json={"link": link_token(), "client_id": client_ids[-1], "answers": answers},
        )
        assert sent.status_code == 201, sent.text
    with Session(engine_of(client)) as session:
        query = select(Response.id).where(col(Response.client_id).in_(client_ids))
        return [int(i or 0) for i in session.exec(query).all()]


def ranking(session: Session) -> dict[str, tuple[float, int | None]]:
    snap = compute_snapshot(
        session=session, wave_code="W1", model_name=None, bootstrap=0, actor="test"
    )
    return {r["code"]: (r["index"], r["rank"]) for r in snap.results["communities"]}


def batches(engine: Engine) -> list[SuspectBatch]:
    with Session(engine) as session:
        return list(session.exec(select(SuspectBatch)).all())


def assert_quarantine_restores(engine: Engine, before: dict[str, tuple[float, int | None]]) -> None:
    (batch,) = batches(engine)
    with Session(engine) as session:
        decide(session=session, batch_id=batch.id or 0, status="quarantined", actor="admin")
        after = ranking(session)
        assert len(session.exec(select(Response)).all()) == 180  # nothing deleted
    for code in ("C1", "C2"):  # the same rows scored: equal up to summation order
        assert after[code][1] == before[code][1]
        assert after[code][0] == pytest.approx(before[code][0], rel=1e-12)


def test_the_schedule_scans_an_open_wave_without_the_admin_page(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_of(client)
    rng = np.random.default_rng(3)
    honest_fortnight(engine, rng)
    with Session(engine) as session:
        before = ranking(session)
    stuffed = burst(client, rng, 60)
    seed_staff(engine)
    monkeypatch.setattr(schedule, "_last", -1e9)  # the schedule's next tick is due
    # any staff request (here a ranking read) lets the server do the wave's periodic work
    read = client.get("/api/v1/waves/W1/rankings", headers=bearer(engine, "district"))
    assert read.status_code == 200
    (batch,) = batches(engine)
    assert batch.status == "flagged" and batch.evidence["community"] == "C1"
    assert sorted(batch.response_ids) == sorted(stuffed)  # the burst, and nothing honest
    with Session(engine) as session:
        (job,) = session.exec(select(ScoreJob).where(ScoreJob.kind == "scan")).all()
        assert job.status == "done" and job.snapshot_id is None and job.actor == "schedule"
        now = datetime.now(UTC)  # scanned, no answer since: not due again
        assert waves_due_for_scan(session=session, now=now + 2 * HOUR, interval=HOUR) == []
    assert_quarantine_restores(engine, before)


def test_the_close_job_scans_before_its_final_snapshot(client: TestClient) -> None:
    engine = engine_of(client)
    rng = np.random.default_rng(4)
    honest_fortnight(engine, rng)
    with Session(engine) as session:
        before = ranking(session)
    stuffed = burst(client, rng, 60)
    with Session(engine) as session:
        _, job = close_wave(session=session, wave_code="W1", actor="admin", bootstrap=0)
    assert batches(engine) == []  # nothing scanned the wave before it closed
    assert run_pending(engine, lease_s=60, job_id=job.id) == 1
    (batch,) = batches(engine)
    assert sorted(batch.response_ids) == sorted(stuffed) and batch.status == "flagged"
    with Session(engine) as session:
        done = session.get(ScoreJob, job.id)
        assert done is not None and done.status == "done" and done.snapshot_id is not None
    assert_quarantine_restores(engine, before)


def test_a_worker_scans_due_waves_between_jobs(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_of(client)
    rng = np.random.default_rng(5)
    honest_fortnight(engine, rng)
    stuffed = burst(client, rng, 60)
    monkeypatch.setenv("MEIHAO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MEIHAO_SECRET_KEY", "test-secret")
    get_settings.cache_clear()
    try:
        assert main(["worker", "--once"]) == 0
    finally:
        get_settings.cache_clear()
    (batch,) = batches(engine)
    assert sorted(batch.response_ids) == sorted(stuffed)


def test_a_burst_still_under_way_grows_its_batch(client: TestClient) -> None:
    engine = engine_of(client)
    rng = np.random.default_rng(6)
    honest_fortnight(engine, rng)
    sheet = genuine(rng)
    first = burst(client, rng, 20, sheet)
    with Session(engine) as session:
        wave = session.exec(select(Wave)).one()
        (early,) = scan_wave(session=session, wave=wave)
        assert sorted(early.response_ids) == sorted(first)
    rest = burst(client, rng, 40, sheet)  # the script goes on after the first scan
    with Session(engine) as session:
        wave = session.exec(select(Wave)).one()
        (grown,) = scan_wave(session=session, wave=wave)
    assert grown.id == early.id and sorted(grown.response_ids) == sorted(first + rest)
    with Session(engine) as session:
        decide(session=session, batch_id=grown.id or 0, status="cleared", actor="admin")
        wave = session.exec(select(Wave)).one()
        assert len(scan_wave(session=session, wave=wave)) == 1  # cleared: found again, no new
    more = burst(client, rng, 20, sheet)  # after the decision: a batch of its own
    with Session(engine) as session:
        wave = session.exec(select(Wave)).one()
        found = {b.status: sorted(b.response_ids) for b in scan_wave(session=session, wave=wave)}
    assert found == {"cleared": sorted(first + rest), "flagged": sorted(more)}


def test_which_waves_are_due(client: TestClient) -> None:
    engine = engine_of(client)
    rng = np.random.default_rng(7)
    now = datetime.now(UTC)
    with Session(engine) as session:
        assert waves_due_for_scan(session=session, now=now, interval=HOUR) == []  # no answers
    honest_fortnight(engine, rng)
    with Session(engine) as session:
        (wave,) = waves_due_for_scan(session=session, now=now, interval=HOUR)
        session.add(ScoreJob(kind="scan", wave_id=wave.id or 0, bootstrap=0, actor="t"))
        session.commit()
        # a scan is queued: not due again
        assert waves_due_for_scan(session=session, now=now + 2 * HOUR, interval=HOUR) == []
        job = session.exec(select(ScoreJob)).one()
        job.status = "done"
        session.add(job)
        session.commit()
        # done, and no answer came since: nothing to do however long it waits
        assert waves_due_for_scan(session=session, now=now + 9 * HOUR, interval=HOUR) == []
    burst(client, rng, 1)
    with Session(engine) as session:
        later = datetime.now(UTC)
        assert waves_due_for_scan(session=session, now=later, interval=HOUR) == []  # too soon
        due = waves_due_for_scan(session=session, now=later + 2 * HOUR, interval=HOUR)
        assert [w.code for w in due] == ["W1"]
        wave = session.exec(select(Wave)).one()
        wave.status = "closed"
        session.add(wave)
        session.commit()
        assert waves_due_for_scan(session=session, now=later + 2 * HOUR, interval=HOUR) == []
