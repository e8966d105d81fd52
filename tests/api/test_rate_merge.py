"""Rate-limit hits counted in memory and merged in batches (api/web/rate_merge.py).

Several :class:`LocalCounts` on one database stand for several server processes: each keeps its
own pending hits and view of the shared rows, exactly as a process does. The decisions are the
limiter's own (:func:`api.web.ratelimit.wait_seconds`).
"""

from __future__ import annotations

import itertools
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.web import rate_merge
from api.web.rate_merge import LocalCounts, batch_of, overshoot_bound
from api.web.ratelimit import WINDOW_S, wait_seconds
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from survey.storage.models import RateCounter

T0 = 1_800_000_000 // WINDOW_S * WINDOW_S  # the start of a window
_FRESH = itertools.count()


def fresh_bucket() -> str:
    return f"submit:test-{next(_FRESH)}-{uuid.uuid4().hex[:8]}"


def allowed(counts: LocalCounts, bucket: str, limit: int, now: float = T0 + 1.0) -> bool:
    current, previous = counts.count(bucket, limit, now)
    return wait_seconds(current, previous, limit, (now - T0) % WINDOW_S / WINDOW_S) == 0


def stored(engine: Engine, bucket: str) -> dict[int, int]:
    with Session(engine) as session:
        rows = session.exec(select(RateCounter).where(RateCounter.bucket == bucket)).all()
    return {row.window: row.hits for row in rows}


def test_the_batch_and_the_overshoot_bound() -> None:
    assert [batch_of(n) for n in (1, 40, 63, 64, 120, 600)] == [1, 1, 1, 2, 3, 18]
    assert overshoot_bound(120, 1) == 0  # one process counts exactly
    assert overshoot_bound(120, 4) == 6
    assert overshoot_bound(40, 4) == 0  # small limits merge every hit at once


def test_one_process_counts_exactly_and_merges_in_batches(engine: Engine) -> None:
    counts, bucket, limit = LocalCounts(engine, interval_s=None), fresh_bucket(), 200
    decisions = [allowed(counts, bucket, limit) for _ in range(260)]
    assert decisions == [True] * limit + [False] * 60
    # Every batch_of(200) = 6th hit merged inline; the rest wait for the merger.
    assert stored(engine, bucket) == {T0: 258}
    counts.merge()
    assert stored(engine, bucket) == {T0: 260}  # refused hits count too


def test_processes_see_each_others_merged_hits(engine: Engine) -> None:
    a, b, bucket = LocalCounts(engine, None), LocalCounts(engine, None), fresh_bucket()
    limit = 1_000
    for _ in range(10):
        assert allowed(a, bucket, limit)
    assert b.count(bucket, limit, T0 + 1.0) == (1, 0)  # a's hits are not merged yet
    a.merge()
    b.merge()
    assert b.count(bucket, limit, T0 + 1.0) == (12, 0)  # b's view: a's 10 + its own 2


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    limit=st.integers(1, 300),
    processes=st.integers(2, 4),
    steps=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 9)), min_size=1, max_size=300),
)
def test_no_schedule_passes_the_limit_by_more_than_the_bound(
    engine: Engine, limit: int, processes: int, steps: list[tuple[int, int]]
) -> None:
    """Any interleaving of hits and background merges: the accepted hits stay within
    ``limit + (N − 1) × batch``, none is refused before the limit is really reached, and once
    everything is merged the shared row holds every hit."""
    bucket = fresh_bucket()
    procs = [LocalCounts(engine, None) for _ in range(processes)]
    accepted = hits = 0
    for who, action in steps:
        counts = procs[who % processes]
        if action == 0:
            counts.merge()
            continue
        hits += 1
        if allowed(counts, bucket, limit):
            accepted += 1
        assert accepted <= limit + overshoot_bound(limit, processes)
    assert accepted >= min(hits, limit)
    for counts in procs:
        counts.merge()
    assert stored(engine, bucket).get(T0, 0) == hits


def test_the_bound_is_reached_when_every_process_merged_at_once(engine: Engine) -> None:
    limit, processes = 320, 3
    batch, bucket = batch_of(limit), fresh_bucket()  # 10
    procs = [LocalCounts(engine, None) for _ in range(processes)]
    first = procs[0]
    accepted = sum(allowed(first, bucket, limit) for _ in range(limit - batch - 1))
    first.merge()
    for counts in procs[1:]:
        counts.merge()  # no pending: nothing merged, nothing learnt
        counts.count(bucket, limit, T0 + 1.0)  # one hit, then a merge: the shared total seen
        counts.merge()
        accepted += 1
    # Each process now believes there is room for (limit − seen) more, up to its batch.
    for counts in procs:
        while allowed(counts, bucket, limit):
            accepted += 1
    assert accepted == limit + overshoot_bound(limit, processes)  # the bound is tight


def test_a_limit_under_64_is_exact_across_processes(engine: Engine) -> None:
    """The e2e case (two processes, limit 40, alternating): every hit merges at once."""
    a, b, bucket, limit = LocalCounts(engine, None), LocalCounts(engine, None), fresh_bucket(), 40
    decisions = [allowed(a if k % 2 == 0 else b, bucket, limit) for k in range(100)]
    assert decisions == [True] * limit + [False] * 60


def test_a_new_window_starts_fresh_and_the_old_one_fades(engine: Engine) -> None:
    counts, bucket, limit = LocalCounts(engine, None), fresh_bucket(), 100
    assert sum(allowed(counts, bucket, limit, T0 + 5.0) for _ in range(151)) == limit
    # A quarter into the next window: 1 + 151 × ¾ > 100 — still refused.
    assert counts.count(bucket, limit, T0 + WINDOW_S + 15.0) == (1, 151)
    assert not allowed(counts, bucket, limit, T0 + WINDOW_S + 15.0)
    counts.merge()  # the old window's late pending hit goes into the old row
    assert stored(engine, bucket) == {T0: 151, T0 + WINDOW_S: 2}
    # Two windows on, the flood has aged out of the sliding estimate.
    later = T0 + 2 * WINDOW_S + 1.0
    assert counts.count(bucket, limit, later) == (1, 2)
    assert allowed(counts, bucket, limit, later)


def test_the_previous_window_is_read_from_the_shared_row(engine: Engine) -> None:
    a, b, bucket, limit = LocalCounts(engine, None), LocalCounts(engine, None), fresh_bucket(), 640
    for _ in range(300):
        a.count(bucket, limit, T0 + 1.0)
    a.merge()
    b.count(bucket, limit, T0 + WINDOW_S + 30.0)  # b never saw the old window
    b.merge()
    assert b.count(bucket, limit, T0 + WINDOW_S + 30.0) == (2, 300)


def test_an_inline_merge_releases_the_callers_connection_first(engine: Engine) -> None:
    counts, bucket, calls = LocalCounts(engine, None), fresh_bucket(), []
    for _ in range(3):
        counts.count(bucket, 96, T0 + 1.0, release=lambda: calls.append(1))
    assert calls == [1]  # batch_of(96) = 3: only the third hit needed the database


def test_a_failed_merge_keeps_the_hits(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    counts, bucket = LocalCounts(engine, None), fresh_bucket()
    for _ in range(5):
        counts.count(bucket, 10_000, T0 + 1.0)

    def broken(batch: object) -> dict[object, int]:
        raise RuntimeError("database away")

    monkeypatch.setattr(counts, "_write", broken)
    with pytest.raises(RuntimeError):
        counts.merge()
    monkeypatch.undo()
    assert counts.merge() == 1 and stored(engine, bucket) == {T0: 5}


def test_the_background_merger_shares_hits_between_processes(tmp_path: Path) -> None:
    """Two engines on one file, as two server processes: the merger runs by itself."""
    url = f"sqlite:///{tmp_path}/shared.db"
    first, second = make_engine(url), make_engine(url)
    upgrade(first)
    try:
        a, b = LocalCounts(first, interval_s=0.02), LocalCounts(second, interval_s=0.02)
        bucket, now = fresh_bucket(), time.time()
        for _ in range(7):
            a.count(bucket, 10_000, now)
        deadline = time.monotonic() + 10
        while stored(second, bucket).get(rate_merge.window_of(now)) != 7:
            assert time.monotonic() < deadline, "the merger never ran"
            time.sleep(0.02)
        assert b.count(bucket, 10_000, now) == (1, 0)  # b has not merged yet
        while stored(second, bucket).get(rate_merge.window_of(now)) != 8:
            assert time.monotonic() < deadline, "the merger never ran"
            time.sleep(0.02)
        time.sleep(0.1)  # b's merge returned the shared total: a's 7 and its own 1
        assert b.count(bucket, 10_000, now) == (9, 0)
    finally:
        first.dispose()
        second.dispose()


def test_the_merger_ends_when_its_engine_is_dropped(tmp_path: Path) -> None:
    import gc

    engine = make_engine(f"sqlite:///{tmp_path}/gone.db")
    upgrade(engine)
    counts = LocalCounts(engine, interval_s=0.01)
    counts.count(fresh_bucket(), 10_000, time.time())
    thread = counts._thread
    assert thread is not None and thread.is_alive()
    engine.dispose()
    del engine
    gc.collect()
    thread.join(timeout=5)
    assert not thread.is_alive() and counts._thread is None
