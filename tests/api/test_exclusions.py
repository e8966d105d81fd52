"""Flags reach the index: a snapshot leaves out exactly the planted answers, and says why."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.services.exclusions import exact_duplicates
from api.services.snapshots import compute_snapshot
from survey.storage.models import Wave
from survey.storage.responses import submit_response
from tests.support.factories import new_client_id
from tests.support.honest_answers import genuine
from tests.support.officials_district import sign_in
from tests.support.staff import bearer, engine_of, seed_staff


def test_exact_duplicates_keep_the_first_of_each_group() -> None:
    X = np.array([[1, np.nan], [1, np.nan], [1, np.nan], [2, 3]], dtype=float)
    assert exact_duplicates(X, np.array([0, 0, 1, 0])).tolist() == [False, True, False, False]


PLANTED = {"honeypot": 20, "speeder": 15, "duplicate": 15}
# 50 genuine answers each; C1 also gets the honeypots and the copies, C2 the speeders
PER_COMMUNITY = {
    "C1": {"n_received": 85, "n_excluded": 35, "n_scored": 50, "honeypot": 20, "duplicate": 15},
    "C2": {"n_received": 65, "n_excluded": 15, "n_scored": 50, "speeder": 15},
}


def plant(engine: Engine) -> dict[str, Any]:
    """100 genuine answers and 50 planted ones (PLANTED); the snapshot's results."""
    rng = np.random.default_rng(7)
    kept = []
    with Session(engine) as session:
        for k in range(100):
            answers = genuine(rng)
            kept.append(answers)
            submit_response(
                session=session,
                wave_code="W1",
                community_code=f"C{1 + k % 2}",
                client_id=new_client_id(),
                answers=answers,
            )
        planted = PLANTED
        for _ in range(planted["honeypot"]):
            submit_response(
                session=session,
                wave_code="W1",
                community_code="C1",
                client_id=new_client_id(),
                answers=genuine(rng),
                honeypot=True,
            )
        for _ in range(planted["speeder"]):
            submit_response(
                session=session,
                wave_code="W1",
                community_code="C2",
                client_id=new_client_id(),
                answers=genuine(rng),
                started_at=datetime.now(UTC) - timedelta(seconds=5),
            )
        for k in range(planted["duplicate"]):
            submit_response(
                session=session,
                wave_code="W1",
                community_code="C1",
                client_id=new_client_id(),
                answers=kept[2 * k],  # a copy of a genuine C1 answer
            )
        snapshot = compute_snapshot(
            session=session, wave_code="W1", model_name=None, bootstrap=0, actor="test"
        )
        assert session.exec(select(Wave)).one().exclusion_policy == {}  # the default policy
        return dict(snapshot.results)


def expected_counts(code: str) -> dict[str, Any]:
    want = PER_COMMUNITY[code]
    return {
        "n_received": want["n_received"],
        "n_excluded": want["n_excluded"],
        "excluded_by_rule": {
            rule: want.get(rule, 0)
            for rule in ("honeypot", "speeder", "duplicate", "quarantined", "straightliner")
        },
        "n_scored": want["n_scored"],
    }


def test_planted_answers_are_excluded_and_counted(client: TestClient) -> None:
    engine = engine_of(client)
    summary = plant(engine)["exclusions"]
    assert summary["n_received"] == 150 and summary["n_scored"] == 100
    assert summary["n_excluded"] == 50
    assert summary["excluded_by_rule"]["honeypot"] == 20
    assert summary["excluded_by_rule"]["speeder"] == 15
    assert summary["excluded_by_rule"]["duplicate"] == 15
    assert summary["excluded_by_rule"]["straightliner"] == 0
    seed_staff(engine)
    ranking = client.get("/api/v1/waves/W1/rankings", headers=bearer(engine, "admin")).json()
    assert ranking["exclusions"]["n_excluded"] == 50
    assert ranking["exclusions"]["excluded_by_rule"]["honeypot"] == 20
    assert sum(r["n"] for r in ranking["communities"]) == 100


def test_scorecards_and_exports_say_received_excluded_and_scored(client: TestClient) -> None:
    engine = engine_of(client)
    results = plant(engine)
    provenance = results["provenance"]
    assert provenance["n_input"] == 150 and provenance["n_scored"] == 100
    meta = {m["code"]: m["exclusions"] for m in results["community_meta"]}
    assert meta == {code: expected_counts(code) for code in PER_COMMUNITY}
    seed_staff(engine)
    headers = bearer(engine, "admin")
    for code in PER_COMMUNITY:
        card = client.get(f"/api/v1/waves/W1/communities/{code}/scorecard", headers=headers)
        assert card.status_code == 200, card.text
        assert card.json()["exclusions"] == {
            "policy": list(results["exclusions"]["policy"]),
            **expected_counts(code),
        }
    with TestClient(client.app, headers=headers) as staff:
        page = sign_in(staff, "admin").get("/waves/W1/communities/C1").text
        english = staff.get("/waves/W1/communities/C2?lang=en").text
    assert "收到 85 份 · 按规则排除 35 份 · 计入评分 50 份" in page
    assert "隐藏题被填写 20、完全重复的答卷 15" in page and "答题过快" not in page
    assert "65 received · 15 excluded by rule · 50 scored" in english
    assert "answered at bot speed 15" in english

    csv_rows = {
        r["社区代码 community code"]: r
        for r in csv.DictReader(
            io.StringIO(
                client.get("/api/v1/waves/W1/exports/rankings.csv", headers=headers).content.decode(
                    "utf-8-sig"
                )
            )
        )
    }
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/api/v1/waves/W1/exports/rankings.xlsx", headers=headers).content)
    )
    ranking, totals, _about = book.worksheets
    header, *body = list(ranking.iter_rows(values_only=True))
    xlsx_rows = {row[header.index("社区代码 community code")]: row for row in body}
    for code, want in PER_COMMUNITY.items():
        row = csv_rows[code]
        assert int(row["收到答卷 n received"]) == want["n_received"]
        assert int(row["排除 n excluded"]) == want["n_excluded"]
        assert int(row["计分 n scored"]) == want["n_scored"]
        assert int(row["样本量 n"]) <= want["n_scored"]
        cells = xlsx_rows[code]
        assert cells[header.index("收到答卷 n received")] == want["n_received"]
        assert cells[header.index("计分 n scored")] == want["n_scored"]
    assert csv_rows["C1"]["排除原因 excluded by rule"] == "隐藏题被填写 20、完全重复的答卷 15"
    assert csv_rows["C2"]["排除原因 excluded by rule"] == "答题过快 15"
    wave_totals = {row[1]: row[2] for row in totals.iter_rows(min_row=2, values_only=True)}
    assert wave_totals["n_received"] == 150 and wave_totals["n_scored"] == 100
    assert wave_totals["n_excluded"] == 50 and wave_totals["honeypot"] == 20

    cards = csv.DictReader(
        io.StringIO(
            client.get(
                "/api/v1/waves/W1/exports/scorecards.csv",
                params={"community": "C2"},
                headers=headers,
            ).content.decode("utf-8-sig")
        )
    )
    counted = {r["代码 code"]: r["样本量 n"] for r in cards if r["层级 level"] == "答卷 responses"}
    assert counted["n_received"] == "65" and counted["n_scored"] == "50"
    assert counted["excluded.speeder"] == "15" and counted["excluded.honeypot"] == "0"


def test_research_exports_include_or_exclude_flagged_rows(client: TestClient) -> None:
    engine = engine_of(client)
    rng = np.random.default_rng(5)
    with Session(engine) as session:
        for k in range(12):
            submit_response(
                session=session,
                wave_code="W1",
                community_code="C1",
                client_id=new_client_id(),
                answers=genuine(rng),
                honeypot=k < 4,
            )
    seed_staff(engine)
    headers = bearer(engine, "researcher")
    every = client.get("/api/v1/waves/W1/exports/responses.csv", headers=headers)
    clean = client.get(
        "/api/v1/waves/W1/exports/responses.csv", params={"flagged": "exclude"}, headers=headers
    )
    assert every.status_code == 200 and clean.status_code == 200, clean.text
    assert len(every.text.strip().splitlines()) == 1 + 12
    assert len(clean.text.strip().splitlines()) == 1 + 8
    assert "honeypot" in every.text and "honeypot" not in clean.text
