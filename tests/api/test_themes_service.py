"""Open-text themes from stored responses: thresholds, redaction, model lifecycle, trend, API.

A seeded district (2 streets × 4 communities, two closed waves) whose P2 answers come from the
generator's pools. One community keeps only a few comments (below the threshold); one comment
carries a phone number and a name, which must never be quoted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import survey.storage.users as users
from api.app import create_app
from api.services.comments import MIN_COMMENTS
from api.services.themes import MIN_THEME_COUNT, public_themes, scope_themes
from api.settings import Settings
from survey.errors import ConflictError
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from survey.storage.models import AuditEvent, Community, Response, ThemeModelRecord, Wave
from survey.synthetic import generate_district
from survey.synthetic.seed import seed_database
from tests.support.staff import FAST_HASHER, bearer

WAVES = ("2025Q4", "2026Q2")
PERSONAL = "王阿姨电话13812345678,小区停车太难了"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path: Path = tmp_path_factory.mktemp("themes") / "themes.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    district = generate_district(
        seed=5, n_streets=2, n_communities=8, respondents_per_community=260, waves=WAVES
    )
    seed_database(engine, district)
    with Session(engine) as session:
        last = session.exec(select(Wave).where(Wave.code == WAVES[1])).one()
        last.status = "closed"
        session.add(last)
        first = session.exec(select(Wave).where(Wave.code == WAVES[0])).one()
        sparse = session.exec(select(Community).order_by(col(Community.code))).all()[-1]
        kept = 0
        for r in session.exec(
            select(Response).where(Response.wave_id == first.id, Response.community_id == sparse.id)
        ).all():
            if "P2" in (r.answers or {}):
                kept += 1
                if kept > 4:
                    r.answers = {k: v for k, v in r.answers.items() if k != "P2"}
                    session.add(r)
        one = session.exec(
            select(Response).where(Response.wave_id == first.id).order_by(col(Response.id))
        ).first()
        assert one is not None
        one.answers = {**one.answers, "P2": PERSONAL}
        session.add(one)
        for name, role in (("r1", "researcher"), ("o1", "official")):
            production, users._hasher = users._hasher, FAST_HASHER
            try:
                users.create_user(
                    session=session,
                    username=name,
                    password="pw-123456789",
                    role=role,
                    scope_level="district",
                    scope_code="",
                )
            finally:
                users._hasher = production
        session.commit()
    return engine


def _codes(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [c.code for c in session.exec(select(Community).order_by(col(Community.code)))]


def _all_text(block: dict[str, Any]) -> str:
    return repr(block)


def test_ad_hoc_themes_follow_the_thresholds_and_never_quote_personal_details(
    engine: Engine,
) -> None:
    codes = _codes(engine)
    with Session(engine) as session:
        block = scope_themes(session, wave=WAVES[0], level="community", code=codes[0])
        assert block["shown"] and block["comments"] >= MIN_COMMENTS
        assert block["model"] is None
        assert block["themes"], block
        for theme in block["themes"]:
            assert theme["count"] >= MIN_THEME_COUNT
            assert 0 < theme["share"] <= 1
            assert len(theme["examples"]) <= 3
            for example in theme["examples"]:
                assert "[已隐去]" not in example and len(example) <= 40
        assert sum(t["count"] for t in block["themes"]) <= block["comments"]
        assert "13812345678" not in _all_text(block) and "王阿姨" not in _all_text(block)
        sparse = scope_themes(session, wave=WAVES[0], level="community", code=codes[-1])
        assert sparse["comments"] < MIN_COMMENTS
        assert sparse == {**sparse, "shown": False, "themes": []}
        street = scope_themes(session, wave=WAVES[0], level="street", code=codes[0].split("-")[0])
        assert street["comments"] > block["comments"]
        # the public block: examples only for themes many residents share
        public = public_themes(session, WAVES[0], codes[0])
        assert all(not t["examples"] or t["count"] >= MIN_COMMENTS for t in public["themes"])
        assert "13812345678" not in repr(public)


def test_an_open_wave_has_no_themes(engine: Engine) -> None:
    with Session(engine) as session:
        wave = session.exec(select(Wave).where(Wave.code == WAVES[1])).one()
        wave.status = "open"
        session.add(wave)
        session.flush()
        with pytest.raises(ConflictError, match="not closed"):
            scope_themes(session, wave=WAVES[1], level="community", code=_codes(engine)[0])
        # the public page asks the same and gets "not published yet", not an error
        public = public_themes(session, WAVES[1], _codes(engine)[0])
        assert public["shown"] is False and public["themes"] == []
        session.rollback()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=str(engine.url), secret_key="t"))) as c:
        yield c


def test_publish_relabel_trend_and_retire_through_the_api(
    engine: Engine, client: TestClient
) -> None:
    research, official = bearer(engine, "r1"), bearer(engine, "o1")
    body = {"name": "themes-a", "wave": WAVES[0], "n_themes": 6, "description": "第一版"}
    assert client.post("/api/v1/theme-models", json=body, headers=official).status_code == 403
    got = client.post("/api/v1/theme-models", json=body, headers=research)
    assert got.status_code == 201, got.text
    model = got.json()
    assert (model["version"], model["n_themes"], model["fitted_on"]) == (1, 6, WAVES[0])
    # researchers name the themes: a new version, same themes
    first_terms = model["themes"][0]["top_terms"]
    relabel = {"labels": {"0": {"zh": "主题甲", "en": "theme A"}}}
    again = client.post("/api/v1/theme-models/themes-a/labels", json=relabel, headers=research)
    assert again.status_code == 201
    assert again.json()["version"] == 2
    assert again.json()["themes"][0] == {
        "theme": 0,
        "label": {"zh": "主题甲", "en": "theme A"},
        "top_terms": first_terms,
    }
    bad = client.post(
        "/api/v1/theme-models/themes-a/labels",
        json={"labels": {"9": {"zh": "x", "en": "x"}}},
        headers=research,
    )
    assert bad.status_code == 400 and "theme '9'" in bad.json()["detail"]
    few = client.post("/api/v1/theme-models", json={**body, "n_themes": 1}, headers=research)
    assert few.status_code == 422
    with Session(engine) as session:
        versions = session.exec(
            select(ThemeModelRecord).where(ThemeModelRecord.name == "themes-a")
        ).all()
        assert sorted(v.version for v in versions) == [1, 2]
        events = session.exec(
            select(AuditEvent.action).where(col(AuditEvent.target).startswith("theme_model:"))
        ).all()
        assert {"theme_model.publish", "theme_model.relabel"} <= set(events)
    # officials read a community's themes under the model, with the trend over both waves
    code = _codes(engine)[0]
    read = client.get(
        f"/api/v1/waves/{WAVES[1]}/communities/{code}/themes",
        params={"model": "themes-a"},
        headers=official,
    )
    assert read.status_code == 200, read.text
    themes = read.json()
    assert themes["model"] == {"name": "themes-a", "version": 2}
    for theme in themes["themes"]:
        assert [p["wave"] for p in theme["trend"]] == list(WAVES)
        assert theme["trend"][-1]["count"] == theme["count"]
    assert (
        client.get(
            f"/api/v1/waves/{WAVES[1]}/communities/NOPE/themes", headers=official
        ).status_code
        == 404
    )
    retired = client.post("/api/v1/theme-models/themes-a/2/retire", headers=research)
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    gone = client.get(
        f"/api/v1/waves/{WAVES[1]}/communities/{code}/themes",
        params={"model": "themes-a"},
        headers=official,
    )
    assert gone.status_code == 409
    listed = client.get("/api/v1/theme-models", headers=official).json()
    assert [m["name"] for m in listed] == ["themes-a"]


def test_the_research_client_wraps_the_theme_routes(engine: Engine, client: TestClient) -> None:
    from api.research.client import MeihaoAPIError, MeihaoClient

    token = bearer(engine, "r1")["Authorization"].split(" ", 1)[1]
    with MeihaoClient("http://testserver", token, transport=client._transport) as api:
        made = api.publish_theme_model("themes-b", WAVES[0], n_themes=5)
        assert (made["name"], made["n_themes"]) == ("themes-b", 5)
        named = api.relabel_theme_model("themes-b", {"1": {"zh": "乙", "en": "B"}})
        assert named["version"] == made["version"] + 1
        assert named["themes"][1]["label"] == {"zh": "乙", "en": "B"}
        assert "themes-b" in [m["name"] for m in api.theme_models()]
        code = _codes(engine)[0]
        got = api.community_themes(WAVES[1], code, model="themes-b")
        assert got["model"] == {"name": "themes-b", "version": named["version"]}
        assert api.action_effects()["completed"] == 0  # no action in this district
        with pytest.raises(MeihaoAPIError) as err:
            api.publish_theme_model("bad name!", WAVES[0])
        assert err.value.status == 400
