"""The seams to the themes and effects work: its answers reach the public page, the action API and
the export in the documented shape (providers stood in by test modules), and a missing
provider means "nothing measured", never an error."""

from __future__ import annotations

import importlib
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from survey.storage.actions import ActionFields, add_note, create_action
from survey.storage.db import session_scope
from survey.storage.models import Wave
from tests.support.staff import bearer, engine_of, seed_staff, store_snapshot

QUOTE = "东门外的共享单车堆成山了"


def provide(monkeypatch: pytest.MonkeyPatch, module: str, **functions: Any) -> None:
    """Stand ``functions`` in for the provider ``module``'s own (the seams call through it)."""
    provider = importlib.import_module(module)
    for name, function in functions.items():
        monkeypatch.setattr(provider, name, function)


def themes_block(shown: bool) -> dict[str, Any]:
    return {
        "shown": shown,
        "comments": 14,
        "themes": [
            {
                "theme": 3,
                "label": {"zh": "停车难", "en": "Parking"},
                "count": 9,
                "share": 0.64,
                "examples": [QUOTE],
            }
        ],
    }


def closed_scored(client: TestClient) -> None:
    seed_staff(engine_of(client))
    store_snapshot(engine_of(client))
    with session_scope(engine_of(client)) as session:
        wave = session.exec(select(Wave).where(Wave.code == "W1")).one()
        wave.status = "closed"
        session.add(wave)


def test_themes_reach_the_public_page_without_residents_words(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed_scored(client)
    calls: list[tuple[str, str]] = []

    def public_themes(session: Session, wave: str, community: str) -> dict[str, Any]:
        calls.append((wave, community))
        return themes_block(shown=True)

    provide(monkeypatch, "api.services.themes", public_themes=public_themes)
    body = client.get("/api/v1/public/waves/W1/communities/C1").json()
    assert body["themes"] == [
        {"label": {"zh": "停车难", "en": "Parking"}, "count": 9, "share": 0.64}
    ]
    page = client.get("/p/W1/C1").text
    assert "停车难" in page and "9 条留言" in page and QUOTE not in page
    assert calls[0] == ("W1", "C1")
    provide(
        monkeypatch, "api.services.themes", public_themes=lambda s, w, c: themes_block(shown=False)
    )
    assert client.get("/api/v1/public/waves/W1/communities/C1").json()["themes"] == []


def test_effects_reach_the_action_api_and_the_export(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_staff(engine_of(client))
    with session_scope(engine_of(client)) as session:
        done, running = (
            create_action(
                session=session,
                scope_level="community",
                scope_code="C1",
                fields=ActionFields(title=title, codes=["D1a"]),
                actor="admin",
            ).id
            or 0
            for title in ("已完成的事项", "进行中的事项")
        )
        add_note(session=session, action_id=done, note="", status="done", actor="admin")
        add_note(session=session, action_id=running, note="", status="in_progress", actor="admin")
    rows = [
        {
            "action_id": action_id,
            "subdimension": "D1a",
            "after_wave": "W2",
            "estimate": 4.2,
            "ci_low": 1.1,
            "ci_high": 7.3,
            "label": "up",
            "label_text": {"zh": "改善明显", "en": "clear improvement"},
        }
        for action_id in (done, running)  # a not-completed action is never shown with an effect
    ]
    provide(monkeypatch, "api.services.action_effects", all_effects=lambda session: rows)
    headers = bearer(engine_of(client), "district")
    listed = {a["id"]: a for a in client.get("/api/v1/actions", headers=headers).json()["actions"]}
    assert listed[done]["effect"] == {
        "wave": "W2",
        "subdimension": "D1a",
        "estimate": 4.2,
        "ci_low": 1.1,
        "ci_high": 7.3,
        "label": "改善明显",
        "label_en": "clear improvement",
    }
    assert listed[running]["effect"] is None
    assert "改善明显" in client.get(f"/actions/{done}", headers=headers).text
    book = load_workbook(
        io.BytesIO(client.get("/api/v1/actions/export.xlsx", headers=headers).content)
    )
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    by_id = {
        r[0].value: dict(zip(header, [c.value for c in r], strict=True))
        for r in sheet.iter_rows(min_row=2)
    }
    assert (
        by_id[done]["效果估计 effect"] == 4.2 and by_id[done]["效果判断 effect label"] == "改善明显"
    )
    assert by_id[running]["效果估计 effect"] is None
