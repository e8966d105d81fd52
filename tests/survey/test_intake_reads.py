"""The submit path's cached and driver-level reads give what the plain reads give.

survey/storage/recent_vectors.py keeps each community's recent vectors in process and asks only
for newer ids; survey/storage/intake_reads.py reads the wave and community on the driver's
cursor and reuses an instance only for the very row it was built from. Each is compared with
the plain SQLAlchemy read it replaced, on a real SQLite file and on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import survey.storage.recent_vectors as recent
from survey.errors import NotFoundError
from survey.storage.db import make_engine
from survey.storage.drafts import start_draft
from survey.storage.intake_reads import read_wave_and_community, stored_or_drafted
from survey.storage.migrate import upgrade
from survey.storage.models import Response, Wave
from survey.storage.registry import get_community, get_wave, read_community, read_wave
from tests.support.factories import new_client_id, seed_minimal

WINDOW = timedelta(minutes=15)


def _row(engine: Engine, community: str, at: datetime, k: int) -> Response:
    with Session(engine) as session:
        wave = get_wave(session=session, code="W1")
        c = get_community(session=session, code=community)
        assert wave.id is not None and c.id is not None
        return Response(
            client_id=new_client_id(),
            wave_id=wave.id,
            community_id=c.id,
            questionnaire_id=wave.questionnaire_id,
            submitted_at=at,
            payload_hash=f"{k:064d}",
            answers={},
            numeric=np.array([k % 97, k // 97, 3], dtype="<i2").tobytes(),
        )


def _store(engine: Engine, rows: list[Response]) -> None:
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()


def _plain(engine: Engine, community_id: int, since: datetime) -> list[bytes]:
    """The read the cache replaced: the newest RECENT_LIMIT of the window, by id."""
    with Session(engine) as session:
        wave = get_wave(session=session, code="W1")
        rows = session.exec(
            select(Response.numeric)
            .where(
                Response.wave_id == wave.id,
                Response.community_id == community_id,
                col(Response.submitted_at) >= since,
            )
            .order_by(col(Response.id).desc())
            .limit(recent.RECENT_LIMIT)
        ).all()
    return sorted(bytes(r) for r in rows)


def _cached(engine: Engine, cache: recent.RecentVectors, community_id: int, since: datetime):
    with Session(engine) as session:
        wave = get_wave(session=session, code="W1")
        assert wave.id is not None
        got = cache.read(
            session.connection(), wave_id=wave.id, community_id=community_id, since=since
        )
    return sorted(got)


def _community_id(engine: Engine, code: str) -> int:
    with Session(engine) as session:
        c = get_community(session=session, code=code)
        assert c.id is not None
        return c.id


# Each step: store n rows in a community, then read one community at a moment `advance`
# minutes later than the last; times rise with ids, as submissions do.
STEPS = st.lists(
    st.tuples(st.sampled_from(["C1", "C2"]), st.integers(0, 9), st.integers(0, 8)),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_the_cache_answers_what_the_plain_read_answers(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, steps: list
) -> None:
    monkeypatch.setattr(recent, "RECENT_LIMIT", 7)  # small, so that eviction is exercised
    path = tmp_path_factory.mktemp("recent") / "r.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    seed_minimal(engine)
    cache = recent.RecentVectors(lookback_ids=0)
    now = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    k = 0
    for community, n, advance in steps:
        rows = []
        for _ in range(n):
            now += timedelta(minutes=1)
            rows.append(_row(engine, community, now, k))
            k += 1
        _store(engine, rows)
        now += timedelta(minutes=advance)
        for code in ("C1", "C2"):
            cid = _community_id(engine, code)
            assert _cached(engine, cache, cid, now - WINDOW) == _plain(engine, cid, now - WINDOW)
    engine.dispose()


@pytest.mark.postgres
def test_a_lower_id_committed_late_is_still_seen_on_postgresql(postgres_url: str) -> None:
    """PostgreSQL hands out ids before commit: a reader can see id n + 1 while n is in flight.
    The lookback reads n once it commits (SQLite's writer lock makes this impossible there)."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    seed_minimal(engine)
    cache = recent.RecentVectors(lookback_ids=recent.POSTGRES_ID_LOOKBACK)
    now = datetime.now(UTC)
    cid = _community_id(engine, "C1")
    with Session(engine) as slow:
        early = _row(engine, "C1", now, 1)
        slow.add(early)
        slow.flush()  # id taken, not committed
        _store(engine, [_row(engine, "C1", now, 2)])
        assert len(_cached(engine, cache, cid, now - WINDOW)) == 1
        slow.commit()
    assert _cached(engine, cache, cid, now - WINDOW) == _plain(engine, cid, now - WINDOW)
    assert len(_plain(engine, cid, now - WINDOW)) == 2
    engine.dispose()


def test_the_wave_and_community_equal_the_plain_reads_and_follow_changes(engine: Engine) -> None:
    seed_minimal(engine)
    with Session(engine) as session:
        wave, community = read_wave_and_community(
            session=session, wave_code="W1", community_code="C2"
        )
        assert wave.model_dump() == read_wave(session=session, code="W1").model_dump()
        assert community.model_dump() == read_community(session=session, code="C2").model_dump()
        again, _ = read_wave_and_community(session=session, wave_code="W1", community_code="C2")
        assert again is wave  # the same row: the same read-only instance
    with Session(engine) as session:
        session.exec(update(Wave).where(col(Wave.code) == "W1").values(status="closed"))  # type: ignore[call-overload]
        session.commit()
    with Session(engine) as session:
        closed, _ = read_wave_and_community(session=session, wave_code="W1", community_code="C2")
        assert closed.status == "closed" and wave.status == "open"


def test_unknown_codes_are_named(engine: Engine) -> None:
    seed_minimal(engine)
    with Session(engine) as session:
        with pytest.raises(NotFoundError, match="no survey wave with code 'W9'"):
            read_wave_and_community(session=session, wave_code="W9", community_code="C1")
        with pytest.raises(NotFoundError, match="no community with code 'C9'"):
            read_wave_and_community(session=session, wave_code="W1", community_code="C9")


def test_stored_or_drafted(engine: Engine) -> None:
    seed_minimal(engine)
    row = _row(engine, "C1", datetime.now(UTC), 5)
    client_id = row.client_id
    _store(engine, [row])
    with Session(engine) as session:
        stored, drafted = stored_or_drafted(session=session, client_id=client_id)
        assert stored is not None and not drafted
        assert stored_or_drafted(session=session, client_id=new_client_id()) == (None, False)
        drafted_id = new_client_id()
        start_draft(
            session=session,
            wave=get_wave(session=session, code="W1"),
            community_id=_community_id(engine, "C1"),
            invitation=None,
            client_id=drafted_id,
        )
        assert stored_or_drafted(session=session, client_id=drafted_id) == (None, True)
