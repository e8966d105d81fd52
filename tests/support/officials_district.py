"""A small synthetic district, scored for every wave, for the officials' tests.

Built once per test session into a SQLite file (scoring three waves takes about a second)
and copied for each test. Planted on purpose:

- ``SUPPRESSED``: a community cut to 20 responses in the last wave (below min_n = 30), the
  only suppressed community of its street, so street aggregates must not reveal it;
- ``XSS_COMMUNITY`` / ``XSS_STREET``: names that are XSS payloads mixed with Chinese;
- ``COMMENTS_SHOWN``: 12 residents wrote P2 comments (XSS payloads among them) → shown;
  ``COMMENTS_HIDDEN``: 5 comments → hidden (fewer than 10);
- staff accounts of every scope (``tests/api/staff.py`` conventions).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

import survey.storage.users as users
from api.services.snapshots import compute_snapshot
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from survey.storage.users import create_user
from survey.synthetic import generate_district
from survey.synthetic.seed import seed_database
from tests.support.staff import FAST_HASHER, PASSWORD, session_cookie

SEED = 11
WAVES = ("2025Q2", "2025Q4", "2026Q2")
LAST = WAVES[-1]
SUPPRESSED = "CH02-003"
SUPPRESSED_STREET = "CH02"
XSS_COMMUNITY = "CH03-002"
XSS_STREET = "CH03"
COMMENTS_SHOWN = "CH02-001"
COMMENTS_HIDDEN = "CH02-002"
COMMUNITY_OFFICIAL_OF = "CH01-001"

XSS_PAYLOADS = [
    "<script>alert('社区')</script>",
    '"><img src=x onerror=alert(1)>建设',
    "javascript:alert(document.cookie)",
    "<svg/onload=alert('美好')>",
    '<a href="javascript:alert(1)">点我</a>',
    "</title><script>alert(2)</script>",
    "<iframe src=javascript:alert(3)>",
    "' onmouseover='alert(4)' x='",
    "<svg><script>alert(5)</script></svg>幸福",
    "{{ 7*7 }} ${7*7} <style>body{display:none}</style>",
]
SET_COMMENT = "UPDATE response SET answers = json_set(answers, '$.P2', :t) WHERE id = :i"
DROP_COMMENT = "UPDATE response SET answers = json_remove(answers, '$.P2') WHERE id = :i"
XSS_NAME = "<script>alert('x')</script>和谐\"><img src=x onerror=alert(1)>社区"
XSS_STREET_NAME = "<svg onload=alert(1)>幸福街道</svg>"

STAFF = {
    "admin": ("admin", "district", ""),
    "district": ("official", "district", ""),
    "street": ("official", "street", SUPPRESSED_STREET),
    "xss_street": ("official", "street", XSS_STREET),
    "community": ("official", "community", COMMUNITY_OFFICIAL_OF),
}


@dataclass(frozen=True)
class District:
    path: Path

    def copy_to(self, folder: Path) -> str:
        target = folder / "officials.db"
        shutil.copyfile(self.path, target)
        return f"sqlite:///{target}"


def _plant(engine: object, wave_ids: dict[str, int], *, hostile: bool) -> None:
    last = wave_ids[LAST]
    with engine.begin() as conn:  # type: ignore[attr-defined]
        cid = {code: i for code, i in conn.execute(text("SELECT code, id FROM community"))}
        sid = {code: i for code, i in conn.execute(text("SELECT code, id FROM street"))}
        keep = (
            conn.execute(
                text(
                    "SELECT id FROM response WHERE wave_id = :w AND community_id = :c "
                    "ORDER BY id LIMIT 20"
                ),
                {"w": last, "c": cid[SUPPRESSED]},
            )
            .scalars()
            .all()
        )
        conn.execute(
            text(
                "DELETE FROM response WHERE wave_id = :w AND community_id = :c AND id NOT IN ("
                + ",".join(str(int(i)) for i in keep)
                + ")"
            ),
            {"w": last, "c": cid[SUPPRESSED]},
        )
        if not hostile:
            return
        conn.execute(
            text("UPDATE community SET name = :n WHERE id = :i"),
            {"n": XSS_NAME, "i": cid[XSS_COMMUNITY]},
        )
        conn.execute(
            text("UPDATE street SET name = :n WHERE id = :i"),
            {"n": XSS_STREET_NAME, "i": sid[XSS_STREET]},
        )
        for community, count in ((COMMENTS_SHOWN, 12), (COMMENTS_HIDDEN, 5)):
            rows = conn.execute(
                text(
                    "SELECT id, answers FROM response WHERE wave_id = :w AND community_id = :c "
                    "ORDER BY id"
                ),
                {"w": last, "c": cid[community]},
            ).all()
            for k, (rid, _answers) in enumerate(rows):
                comment = (XSS_PAYLOADS[k % len(XSS_PAYLOADS)] + f" 第{k}条") if k < count else ""
                conn.execute(
                    text(SET_COMMENT if comment else DROP_COMMENT),
                    {"t": comment, "i": rid},
                )


def build(folder: Path, *, bootstrap: int = 100, plant: bool = True) -> District:
    """``plant=False``: without the hostile names and comments (screenshots); the suppressed
    community is cut either way."""
    path = folder / "officials-template.db"
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    district = generate_district(
        seed=SEED, n_streets=3, n_communities=12, respondents_per_community=60, waves=WAVES
    )
    seed_database(engine, district)
    with engine.connect() as conn:
        wave_ids = {c: i for c, i in conn.execute(text("SELECT code, id FROM wave"))}
    _plant(engine, wave_ids, hostile=plant)
    production = users._hasher
    users._hasher = FAST_HASHER
    try:
        with Session(engine) as session:
            for name, (role, level, code) in STAFF.items():
                create_user(
                    session=session,
                    username=name,
                    password=PASSWORD,
                    role=role,
                    scope_level=level,
                    scope_code=code,
                )
            for wave in WAVES:
                compute_snapshot(
                    session=session,
                    wave_code=wave,
                    model_name=None,
                    bootstrap=bootstrap,
                    actor="test",
                )
    finally:
        users._hasher = production
    engine.dispose()
    return District(path)


def sign_in(client: TestClient, username: str) -> TestClient:
    """Set the session cookie of staff user ``username`` on the client (no login round trip)."""
    app: Any = client.app
    for name, value in session_cookie(app.state.engine, app.state.settings, username).items():
        client.cookies.set(name, value)
    return client
