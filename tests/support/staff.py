"""Test helpers for staff access: one account per role, credentials, and stored snapshots.

The district used here: street S1 with communities C1 and C2 (from ``seed_minimal``), plus
street S2 with community C3, so that an out-of-scope street official exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import survey.storage.users as users
from api.services.snapshot_store import clear_cache
from api.settings import Settings
from api.web.auth import SESSION_COOKIE, new_session
from scoring.rank import Note
from scoring.result import WaveResult
from survey.questionnaire.model import load_default
from survey.storage.db import session_scope
from survey.storage.models import AuditEvent, ScoreSnapshot, User, Wave
from survey.storage.registry import upsert_community, upsert_street
from survey.storage.users import create_user, issue_token

PASSWORD = "staff-password-123"


@dataclass(frozen=True)
class Staff:
    username: str
    role: str
    scope_level: str = "district"
    scope_code: str = ""


STAFF = {
    "admin": Staff("admin", "admin"),
    "researcher": Staff("researcher", "researcher"),
    "district": Staff("district", "official"),
    "street": Staff("street", "official", "street", "S1"),
    "other_street": Staff("other_street", "official", "street", "S2"),
    "community": Staff("community", "official", "community", "C1"),
}


def add_second_street(engine: Engine) -> None:
    with session_scope(engine) as session:
        street = upsert_street(session=session, code="S2", name="第二街道")
        upsert_community(
            session=session,
            code="C3",
            name="三号社区",
            street=street,
            housing_type="老旧院落/企业职工生活区",
            population=500,
        )


# Cheap argon2 parameters for seeding only: six production-strength hashes cost a second per
# test. A real login re-hashes with the production parameters (tests/survey/test_users.py
# checks both the parameters and the upgrade).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def seed_staff(engine: Engine) -> None:
    add_second_street(engine)
    production = users._hasher
    users._hasher = FAST_HASHER
    try:
        with Session(engine) as session:
            for s in STAFF.values():
                create_user(
                    session=session,
                    username=s.username,
                    password=PASSWORD,
                    role=s.role,
                    scope_level=s.scope_level,
                    scope_code=s.scope_code,
                )
    finally:
        users._hasher = production


def engine_of(client: TestClient) -> Engine:
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    return engine


def audit(client: TestClient, action: str) -> list[AuditEvent]:
    with Session(engine_of(client)) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def bearer(engine: Engine, username: str) -> dict[str, str]:
    with Session(engine, expire_on_commit=False) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        token, _ = issue_token(session=session, user=user, name="test")
    return {"Authorization": f"Bearer {token}"}


def session_cookie(engine: Engine, settings: Settings, username: str) -> dict[str, str]:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        return {SESSION_COOKIE: new_session(session=session, user=user)}


# (code, street, street name, n, overall index or None when suppressed)
DEFAULT_COMMUNITIES = [
    ("C1", "S1", "测试街道", 150, 82.34),
    ("C2", "S1", "测试街道", 12, None),
    ("C3", "S2", "第二街道", 120, 74.06),
]


def snapshot_results(
    communities: list[tuple[str, str, str, int, float | None]], wave: str = "W1"
) -> dict[str, Any]:
    """A snapshot's ``results`` exactly as the services store them (``WaveResult.to_dict()``
    plus ``community_meta`` and ``wave``), with chosen, easily checked numbers."""
    q = load_default()
    dims = tuple(d.code for d in q.dimensions)
    subs = tuple(s.code for d in q.dimensions for s in d.subdimensions)
    items = tuple(i.code for i in q.main_items())
    m = len(communities)
    index = np.array([np.nan if c[4] is None else c[4] for c in communities])
    suppressed = np.isnan(index)
    ranked = np.where(suppressed, np.nan, 0.0)
    order = np.argsort(-np.nan_to_num(index, nan=-1))
    for k, i in enumerate(i for i in order if not suppressed[i]):
        ranked[i] = k + 1
    offsets = np.arange(len(dims)) - 2.5
    dim_score = np.where(suppressed[:, None], np.nan, index[:, None] + offsets)
    result = WaveResult(
        community_codes=tuple(c[0] for c in communities),
        dimension_codes=dims,
        subdimension_codes=subs,
        item_codes=items,
        n=np.array([c[3] for c in communities]),
        n_eff=np.where(suppressed, np.nan, np.array([c[3] * 0.8 for c in communities])),
        deff=np.where(suppressed, np.nan, 1.25),
        index=index,
        se=np.where(suppressed, np.nan, 1.5),
        ci_low=index - 2.5,
        ci_high=index + 2.5,
        rank=ranked,
        rank_low=np.where(suppressed, np.nan, np.maximum(ranked - 1, 1)),
        rank_high=np.where(suppressed, np.nan, ranked + 1),
        grade=[
            None if s else ("良" if v >= 80 else "中")
            for s, v in zip(suppressed, index, strict=True)
        ],
        suppressed=suppressed,
        suppression_reason=[Note.INSUFFICIENT_SAMPLE if s else None for s in suppressed],
        note=[None] * m,
        dim_score=dim_score,
        dim_se=np.where(suppressed[:, None], np.nan, np.ones((m, len(dims)))),
        dim_ci_low=dim_score - 2,
        dim_ci_high=dim_score + 2,
        sub_score=np.where(suppressed[:, None], np.nan, index[:, None] + np.zeros(len(subs))),
        item_score=np.where(suppressed[:, None], np.nan, index[:, None] + np.zeros(len(items))),
        item_n=np.array([[c[3]] * len(items) for c in communities]),
        item_dk_rate=np.full((m, len(items)), 0.05),
        item_pct_positive=np.where(suppressed[:, None], np.nan, np.full((m, len(items)), 71.25)),
        osi=np.where(suppressed, np.nan, index - 1),
        osi_se=np.where(suppressed, np.nan, 2.0),
        osi_ci_low=index - 5,
        osi_ci_high=index + 3,
        dimension_weights=np.full(len(dims), 1 / len(dims)),
        effective_item_weights=np.full(len(items), 1 / len(items)),
        provenance={"model_key": "equal@1", "preset": "ptm", "data_hash": "0" * 64},
    )
    results = result.to_dict()
    results["community_meta"] = [
        {
            "code": code,
            "name": {"C1": "一号社区", "C2": "二号社区"}.get(code, "三号社区"),
            "street": street,
            "street_name": street_name,
            "housing_type": "商品房小区",
            "responses": n,
        }
        for code, street, street_name, n, _ in communities
    ]
    results["wave"] = wave
    return results


def store_snapshot(
    engine: Engine,
    results: dict[str, Any] | None = None,
    wave_code: str = "W1",
    model: str = "equal",
) -> ScoreSnapshot:
    results = results or snapshot_results(DEFAULT_COMMUNITIES, wave_code)
    with Session(engine, expire_on_commit=False) as session:
        wave = session.exec(select(Wave).where(Wave.code == wave_code)).one()
        assert wave.id is not None
        snapshot = ScoreSnapshot(
            wave_id=wave.id, model_name=model, model_version=1, data_hash="0" * 64, results=results
        )
        session.add(snapshot)
        session.commit()
        session.refresh(snapshot)
    # The parsed-results cache is keyed by snapshot id, and every test database starts at id 1.
    clear_cache()
    return snapshot
