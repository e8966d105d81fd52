"""A scoring job's progress: bootstrap replicates done out of B, on the job row, in
``GET /api/v1/jobs/{id}``, on the admin waves page and in the CLI's progress line."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

import api.services.jobs as jobs
import scoring.bootstrap
from api.cli.job_progress import ProgressLine
from api.settings import Settings
from survey.storage.models import ScoreJob
from survey.storage.responses import submit_response
from tests.api.test_jobs import job_row, queue, seeded
from tests.support.factories import complete_answers, new_client_id
from tests.support.staff import bearer, seed_staff, session_cookie

B = 60


@pytest.fixture
def fine_grained(monkeypatch: pytest.MonkeyPatch) -> None:
    # Small replicate chunks (so a small wave's bootstrap reports many times) and every report
    # written (no throttling): what a city wave with B = 1,000 does, in a test's time.
    monkeypatch.setattr(scoring.bootstrap, "MAX_ELEMS", 800)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY_S", 0.0)


def test_progress_is_stored_increases_and_ends_at_b(engine: Engine, fine_grained: None) -> None:
    job_id = queue(engine, seeded(engine), bootstrap=B)
    told: list[tuple[str, int, int]] = []
    stored: list[tuple[int, int]] = []

    def watch(stage: str, done: int, total: int) -> None:
        told.append((stage, done, total))
        row = job_row(engine, job_id)  # what another process (the API) would read now
        stored.append((row.progress_done, row.progress_total))

    claim = jobs.claim(engine, lease_s=60)
    assert claim is not None
    assert jobs.run_job(engine, claim, lease_s=60, progress=watch) == "done"
    replicates = [done for stage, done, _ in told if stage == "bootstrap"]
    assert len(set(replicates)) >= 4, told  # it moved in steps, not only at the end
    assert replicates == sorted(replicates) and replicates[-1] == B
    assert told[0] == ("scoring", 0, B) and told[-1] == ("storing", B, B)
    assert all(total == B for _, _, total in told)
    assert [d for d, _ in stored] == sorted(d for d, _ in stored)
    assert stored[0] == (0, B) and stored[-1] == (B, B)
    final = job_row(engine, job_id)
    assert (final.status, final.progress_done, final.progress_total) == ("done", B, B)


def test_progress_is_written_at_most_every_interval(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scoring.bootstrap, "MAX_ELEMS", 800)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY_S", 3600.0)
    job_id = queue(engine, seeded(engine), bootstrap=B)
    told: list[int] = []
    claim = jobs.claim(engine, lease_s=60)
    assert claim is not None
    jobs.run_job(engine, claim, progress=lambda s, d, t: told.append(d) if s == "bootstrap" else 0)
    assert len(told) == 2 and 0 < told[0] < B and told[1] == B  # the first report, then the last
    assert job_row(engine, job_id).progress_done == B


def test_the_api_and_the_waves_page_show_progress(
    client: TestClient, settings: Settings, fine_grained: None
) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    seed_staff(engine)
    with Session(engine) as session:
        for i in range(60):
            answers = complete_answers(likert=2 + i % 4, rating=3 + i % 7)
            answers["age_band"], answers["gender"] = (("60-69", "female"), ("30-44", "male"))[i % 2]
            submit_response(
                session=session,
                wave_code="W1",
                community_code=("C1", "C2")[i % 2],
                client_id=new_client_id(),
                answers=answers,
            )
    job_id = queue(engine, "W1", bootstrap=B)
    headers = bearer(engine, "researcher")
    queued = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
    assert (queued["status"], queued["progress_done"], queued["progress_total"]) == (
        "queued",
        0,
        0,
    )
    client.cookies.update(session_cookie(engine, settings, "admin"))
    page = client.get("/admin/waves")
    assert 'id="job-W1"' in page.text and "queued" in page.text
    assert 'http-equiv="refresh"' in page.text  # the page follows a job that is not finished
    with Session(engine) as session:  # mid-run, as the worker writes it
        row = session.get(ScoreJob, job_id)
        assert row is not None
        row.status, row.progress_done, row.progress_total = "running", 24, B
        session.add(row)
        session.commit()
    running = client.get("/admin/waves")
    assert f'<progress max="{B}" value="24"' in running.text and f"24/{B}" in running.text
    assert jobs.run_pending(engine, job_id=job_id) == 0  # running with a live lease: not taken
    with Session(engine) as session:
        row = session.get(ScoreJob, job_id)
        assert row is not None
        row.status = "queued"
        session.add(row)
        session.commit()
    assert jobs.run_pending(engine, job_id=job_id) == 1
    done = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
    assert (done["status"], done["progress_done"], done["progress_total"]) == ("done", B, B)
    finished = client.get("/admin/waves")
    assert f'value="{B}"' in finished.text and 'http-equiv="refresh"' not in finished.text


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_cli_line_follows_the_replicates() -> None:
    log = io.StringIO()
    say = ProgressLine("job 7", log)
    say("scoring", 0, 100)
    for done in range(0, 101, 5):
        say("bootstrap", done, 100)
    say("storing", 100, 100)
    lines = log.getvalue().splitlines()
    assert lines[0] == "job 7: scoring" and lines[-1] == "job 7: storing"
    assert lines[1:-1] == [f"job 7: bootstrap {d}/100" for d in range(0, 101, 10)]

    screen = Terminal()
    bar = ProgressLine("job 8", screen)
    say_all = [bar("bootstrap", d, 40) for d in (0, 20, 40)]
    assert say_all == [None] * 3
    bar("storing", 40, 40)
    text = screen.getvalue()
    assert "\rjob 8: bootstrap [" + "#" * 15 + "." * 15 + "] 20/40" in text
    assert text.endswith("] 40/40\njob 8: storing\n")
