"""A small seeded district for the researchers' workflow tests (API, client, notebooks).

Seeding once per test session and copying the SQLite file per test keeps every test on its own
fresh database without paying for generation, seeding and password hashing each time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, select

from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from survey.storage.models import User
from survey.storage.users import create_user, issue_token
from survey.synthetic import generate_district
from survey.synthetic.seed import seed_database

SEED = 20260517
N_STREETS, N_COMMUNITIES, RESPONDENTS = 3, 12, 60
PASSWORD = "research-password-1"
USERS = {"researcher": "researcher", "admin": "admin", "official": "official"}
TEMPLATE = "research-template.db"
WAVES = ("2025Q2", "2025Q4", "2026Q2")  # generate_district's default waves
LATEST = WAVES[-1]


def _build_template(path: Path) -> None:
    district = generate_district(
        seed=SEED,
        n_streets=N_STREETS,
        n_communities=N_COMMUNITIES,
        respondents_per_community=RESPONDENTS,
    )
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        seed_database(engine, district)
        with Session(engine) as session:
            for username, role in USERS.items():
                create_user(session=session, username=username, password=PASSWORD, role=role)
    finally:
        engine.dispose()  # checkpoints the WAL, so the .db file alone is complete


def seeded_database(factory: pytest.TempPathFactory, name: str = "meihao.db") -> str:
    """URL of a fresh copy of the seeded district (built on first use in this session)."""
    template = factory.getbasetemp() / TEMPLATE
    if not template.exists():
        _build_template(template)
    target = factory.mktemp("research") / name
    shutil.copy(template, target)
    return f"sqlite:///{target}"


def token_for(database_url: str, username: str) -> str:
    engine = make_engine(database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            user = session.exec(select(User).where(User.username == username)).one()
            token, _ = issue_token(session=session, user=user, name="tests")
        return token
    finally:
        engine.dispose()
