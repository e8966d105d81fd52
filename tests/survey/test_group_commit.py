"""Group commit: concurrent submissions share commits, each is acknowledged with its own row,
identical taps in one batch leave one row, and a bad row never fails its neighbours."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

import survey.storage.group_commit as group_commit
from survey.storage.models import Response
from survey.storage.responses import Receipt, submit_response
from tests.support.factories import complete_answers, new_client_id, seed_minimal


def submit(engine: Engine, client_id: str, likert: int = 4) -> Receipt:
    with Session(engine) as session:
        return submit_response(
            session=session,
            wave_code="W1",
            community_code="C1",
            client_id=client_id,
            answers=complete_answers(likert=likert),
        )


def stored(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Response)).one())


def test_concurrent_submissions_share_commits_and_each_gets_its_row(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_minimal(engine)
    batches: list[int] = []
    real = group_commit.GroupCommitter._insert
    gate = threading.Event()

    def counting(self: Any, rows: list[dict[str, Any]]) -> dict[str, int]:
        gate.wait(5)  # hold the first commit so that the others queue behind it
        batches.append(len(rows))
        return real(self, rows)

    monkeypatch.setattr(group_commit.GroupCommitter, "_insert", counting)
    ids = [new_client_id() for _ in range(24)]
    with ThreadPoolExecutor(24) as pool:
        futures = [pool.submit(submit, engine, cid) for cid in ids]
        threading.Timer(0.5, gate.set).start()
        receipts = [f.result() for f in futures]
    assert all(r.created for r in receipts)
    assert [r.client_id for r in receipts] == ids
    assert len({r.response_id for r in receipts}) == 24 and stored(engine) == 24
    assert sum(batches) == 24 and len(batches) < 24  # fewer commits than submissions
    with Session(engine) as session:
        rows = {r.client_id: r.id for r in session.exec(select(Response)).all()}
    assert all(rows[r.client_id] == r.response_id for r in receipts)


def test_identical_taps_in_one_batch_leave_one_row(engine: Engine) -> None:
    seed_minimal(engine)
    client_id = new_client_id()
    with ThreadPoolExecutor(8) as pool:
        receipts = list(pool.map(lambda _: submit(engine, client_id), range(8)))
    assert sum(r.created for r in receipts) == 1
    assert len({r.response_id for r in receipts}) == 1 and stored(engine) == 1


def test_a_bad_row_fails_alone(engine: Engine) -> None:
    seed_minimal(engine)
    committer = group_commit.committer_for(engine)
    good = submit(engine, new_client_id())
    with Session(engine) as session:
        row = session.get(Response, good.response_id)
        assert row is not None
        values = {name: getattr(row, name) for name in group_commit.COLUMNS}
    broken = dict(values, client_id=new_client_id(), wave_id=999_999)  # no such wave
    fine = dict(values, client_id=new_client_id())
    results: dict[str, Any] = {}

    def insert(name: str, row_values: dict[str, Any]) -> None:
        try:
            results[name] = committer.insert(row_values)
        except Exception as error:
            results[name] = error

    threads = [
        threading.Thread(target=insert, args=(n, v)) for n, v in (("bad", broken), ("ok", fine))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert isinstance(results["bad"], Exception)
    assert isinstance(results["ok"], int) and stored(engine) == 2


def test_a_submission_hands_the_writer_every_column_but_the_id(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The submit path builds the row's values without the ORM object (P5); a column added to
    the model must be added there too, or the writer would insert it as NULL."""
    seed_minimal(engine)
    handed: list[dict[str, Any]] = []
    real = group_commit.GroupCommitter.insert

    def spy(self: group_commit.GroupCommitter, values: dict[str, Any]) -> int | None:
        handed.append(values)
        return real(self, values)

    monkeypatch.setattr(group_commit.GroupCommitter, "insert", spy)
    submit(engine, new_client_id())
    assert len(handed) == 1 and set(handed[0]) == group_commit.COLUMNS
