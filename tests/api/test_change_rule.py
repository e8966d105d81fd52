"""The one change rule (api/services/change_rule.py) on districts whose truth is known.

Null district: ``meihao seed --drift 0`` (three waves, truth unchanged), scored with
``meihao score``. Every label "显著提升/显著下降" on it is false, so the trend JSON and the pages
of the latest wave must carry few of them, and the dashboard, the trend report and every
scorecard must show the same label for each community × (overall + dimensions).

How often the claim "at most 3 显著 labels" can fail on this configuration (12 communities ×
7 cells, 60 respondents, 100 bootstrap replicates, t p-values with Welch df): over seeds 1–30,
1 of 30 reports carried any false label and that one (seed 3: one community's overall and four
dimensions together) more than 3 — the labels of one community move together, so one false
community brings its dimensions along. The test uses seed 1 (no false label); the default
district (`meihao seed --drift 0`, 83 communities × 180, 1000 replicates) carries 0 of 581
(docs/methods.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

import survey.storage.users as users
from api.app import create_app
from api.services.snapshot_store import clear_cache
from api.services.snapshots import compute_snapshot
from api.services.trends import community_trend
from api.settings import Settings
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from survey.storage.users import create_user
from survey.synthetic import generate_district
from survey.synthetic.seed import seed_database
from tests.support.cli import run_meihao, settings_env
from tests.support.officials_district import sign_in
from tests.support.staff import FAST_HASHER, PASSWORD

WAVES = ("2025Q2", "2025Q4", "2026Q2")
LAST = WAVES[-1]
NULL_SEED = 1
MAX_FALSE_LABELS = 3
LABEL_SPAN = re.compile(
    r'<span class="change change-(-?1|0|undetermined)">\s*(?:[▲▼■] )?([^<]+)</span>'
)
ZH = {"up": "显著提升", "down": "显著下降", "flat": "基本持平", "undetermined": "无法判断"}


@pytest.fixture(scope="module")
def null_district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeded and scored through the commands, as an operator would."""
    folder = tmp_path_factory.mktemp("null-district")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'null.db'}", secret_key="s", bootstrap_replicates=100
    )
    env = settings_env(settings)
    seeded = run_meihao(
        "seed",
        "--drift",
        "0",
        "--seed",
        str(NULL_SEED),
        "--communities",
        "12",
        "--streets",
        "3",
        "--respondents",
        "60",
        env=env,
    )
    assert seeded.returncode == 0, seeded.stderr
    for wave in WAVES:
        scored = run_meihao("score", "--wave", wave, "--bootstrap", "100", env=env)
        assert scored.returncode == 0, scored.stderr
    engine = make_engine(settings.database_url)
    production = users._hasher
    users._hasher = FAST_HASHER
    try:
        with Session(engine) as session:
            create_user(session=session, username="admin", password=PASSWORD, role="admin")
    finally:
        users._hasher = production
    engine.dispose()
    return folder / "null.db"


@pytest.fixture
def admin(null_district: Path) -> Iterator[TestClient]:
    clear_cache()
    app = create_app(
        Settings(database_url=f"sqlite:///{null_district}", secret_key="s", bootstrap_replicates=50)
    )
    with TestClient(app) as client:
        yield sign_in(client, "admin")
    clear_cache()


def get(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:300])
    return response.json() if "/api/" in url else response.text


def latest_labels(trend: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    cells = {}
    for row in trend["communities"]:
        cells[row["code"], "overall"] = row["last_change"]
        for node, change in row["last_dimension_changes"].items():
            cells[row["code"], node] = change
    return cells


def test_drift_flag_reaches_the_generator(null_district: Path) -> None:
    """Same seed with and without --drift 0: only the drifting district's truth moves."""
    still = generate_district(seed=NULL_SEED, n_streets=3, n_communities=12, drift=0.0)
    moving = generate_district(seed=NULL_SEED, n_streets=3, n_communities=12)
    assert (still.truth.index == still.truth.index[0]).all()
    assert not (moving.truth.index == moving.truth.index[0]).all()


def test_a_null_district_carries_few_false_labels_and_every_view_agrees(
    admin: TestClient,
) -> None:
    trend = get(admin, "/api/v1/district/trend")
    cells = latest_labels(trend)
    assert len(cells) == 12 * 7  # every community × (overall + 6 dimensions)
    assert {c["to_wave"] for c in cells.values()} == {LAST}
    false_labels = [k for k, c in cells.items() if c["label"] in ("up", "down")]
    assert len(false_labels) <= MAX_FALSE_LABELS, false_labels
    tested = [c for c in cells.values() if c["label"] != "undetermined"]
    assert tested and all(0 <= c["q"] <= 1 for c in tested)  # every tested cell carries q

    # the dashboard lists exactly the communities whose overall index is labelled
    summary = get(admin, f"/api/v1/waves/{LAST}/summary")["changes"]
    listed = {c["code"]: c["label"] for c in summary["rises"] + summary["falls"]}
    assert listed == {
        code: c["label"]
        for (code, node), c in cells.items()
        if node == "overall" and c["significant"]
    }
    assert summary["fdr"] == trend["fdr"] == 0.10
    ranks = get(admin, f"/api/v1/waves/{LAST}/rankings")["communities"]
    assert {r["community"]: r["change"]["label"] for r in ranks} == {
        code: c["label"] for (code, node), c in cells.items() if node == "overall"
    }
    streets = get(admin, f"/api/v1/waves/{LAST}/rankings?level=street")["streets"]
    assert {s["street"]: (s["change"]["label"], s["change"]["q"]) for s in streets} == {
        s["street"]: (s["last_change"]["label"], s["last_change"]["q"]) for s in trend["streets"]
    }

    page_labels = 0
    for code in {code for code, _ in cells}:
        sc = get(admin, f"/api/v1/waves/{LAST}/communities/{code}/scorecard")
        assert sc["change"]["label"] == cells[code, "overall"]["label"]
        assert sc["change"]["q"] == cells[code, "overall"]["q"]
        for d in sc["dimensions"]:
            assert d["change"]["label"] == cells[code, d["code"]]["label"], (code, d["code"])
        own = get(admin, f"/api/v1/communities/{code}/trend")
        assert own["changes"][-1]["label"] == cells[code, "overall"]["label"]
        for node, series in own["dimension_changes"].items():
            assert series[-1]["label"] == cells[code, node]["label"]
        # the scorecard page shows the same words: its dimension table is overall + dimensions
        html = get(admin, f"/waves/{LAST}/communities/{code}?lang=zh")
        table = html.split('id="h-compare"')[1].split("</table>")[0]
        shown = [words.strip() for _direction, words in LABEL_SPAN.findall(table)]
        expected = [ZH[cells[code, "overall"]["label"]]]
        expected += [ZH[cells[code, d["code"]]["label"]] for d in sc["dimensions"]]
        assert shown == expected, code
        page_labels += sum(w in ("显著提升", "显著下降") for w in shown)
    assert page_labels == len(false_labels)

    # the district trend page labels every community as the JSON does, and states the rule
    html = get(admin, "/trends?lang=zh")
    assert "Benjamini–Hochberg" in html
    rows = html.split('id="h-communities"')[1]
    for row in trend["communities"]:
        chunk = rows.split(f"/trends/communities/{row['code']}")[1].split("</tr>")[0]
        words = [w.strip() for _d, w in LABEL_SPAN.findall(chunk)]
        assert words == [ZH[row["last_change"]["label"]]], row["code"]


def test_a_planted_change_is_labelled(tmp_path: Path) -> None:
    """The rule is not silent: a community whose truth rises by 12 latent points in the second
    wave is labelled 显著提升 into that wave (truth otherwise unchanged)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'planted.db'}")
    upgrade(engine)
    district = generate_district(
        seed=NULL_SEED,
        n_streets=3,
        n_communities=12,
        respondents_per_community=60,
        drift=0.0,
        true_changes={0: 12.0},
    )
    seed_database(engine, district)
    code = district.communities[0].code
    clear_cache()
    with Session(engine) as session:
        for wave in WAVES:
            compute_snapshot(
                session=session, wave_code=wave, model_name=None, bootstrap=100, actor="test"
            )
        trend = community_trend(session=session, community=code, model_name=None)
    clear_cache()
    engine.dispose()
    into_second = trend["changes"][1]
    assert into_second["label"] == "up" and into_second["q"] <= 0.10, into_second
    assert trend["changes"][2]["label"] in ("flat", "undetermined")  # no change afterwards
