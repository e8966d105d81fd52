"""A scripted burst of 60 near-identical answers to one community is flagged within its wave,
shown to admins with the evidence, and once quarantined the ranking is what it was before."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.services.snapshots import compute_snapshot
from api.services.stuffing import decide, scan_wave
from survey.storage.models import AuditEvent, Response, SuspectBatch, Wave
from survey.storage.responses import submit_response
from tests.support.factories import new_client_id
from tests.support.honest_answers import genuine, honest_fortnight
from tests.support.staff import engine_of, seed_staff, session_cookie


def indices(session: Session) -> dict[str, tuple[float, int | None]]:
    snap = compute_snapshot(
        session=session, wave_code="W1", model_name=None, bootstrap=0, actor="test"
    )
    return {r["code"]: (r["index"], r["rank"]) for r in snap.results["communities"]}


def test_a_burst_is_flagged_quarantined_and_the_ranking_restored(
    client: TestClient, settings: object
) -> None:
    engine = engine_of(client)
    rng = np.random.default_rng(3)
    honest_fortnight(engine, rng)  # two weeks of honest answers
    with Session(engine) as session:
        before = indices(session)
        sheet = genuine(rng)
        for k in range(60):  # one address, a minute or two, one answer changed now and then
            answers = dict(sheet, **({"D1.1": 1 + k % 5} if k % 3 == 0 else {}))
            submit_response(
                session=session,
                wave_code="W1",
                community_code="C1",
                client_id=new_client_id(),
                answers=answers,
                source_hash="stuffer",
            )
        stuffed = indices(session)
        assert stuffed["C1"] != before["C1"]
        wave = session.exec(select(Wave)).one()
        (batch,) = scan_wave(session=session, wave=wave)
        assert batch.status == "flagged" and batch.evidence["community"] == "C1"
        assert batch.evidence["size"] >= 60 and batch.evidence["distinct_sources"] <= 2
        assert len(scan_wave(session=session, wave=wave)) == 1  # a rescan adds nothing
    seed_staff(engine)
    client.cookies.update(session_cookie(engine, settings, "admin"))  # type: ignore[arg-type]
    page = client.get("/admin/waves/W1/batches")
    assert page.status_code == 200 and "C1" in page.text and "隔离" in page.text
    with Session(engine) as session:
        batch_id = session.exec(select(SuspectBatch.id)).one()
        decide(session=session, batch_id=batch_id or 0, status="quarantined", actor="admin")
        after = indices(session)
        assert session.exec(select(Response)).all().__len__() == 180  # nothing deleted
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "batch.quarantined"))
        assert event.one().actor == "admin"
    for code in ("C1", "C2"):  # the same rows scored: equal up to summation order
        assert after[code][1] == before[code][1]
        assert after[code][0] == pytest.approx(before[code][0], rel=1e-12)
