"""The officials' loop: scorecard priorities link to "create an action" (pre-filled), the district
dashboard lists overdue actions and communities with priorities and no action."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from api.services.action_overview import unanswered_communities
from api.services.labels import build_labels
from api.services.snapshot_store import wave_results
from survey.questionnaire.model import load_default
from survey.storage.actions import ActionFields, add_note, create_action, list_actions
from survey.storage.db import session_scope
from survey.storage.models import Action
from survey.storage.registry import get_wave
from tests.support.officials_district import sign_in
from tests.support.staff import (
    DEFAULT_COMMUNITIES,
    engine_of,
    seed_staff,
    snapshot_results,
    store_snapshot,
)

PRIORITIES = {"C1": ["D1a", "D2b"], "C3": ["D4a"]}


def with_priorities() -> dict[str, Any]:
    results = snapshot_results(DEFAULT_COMMUNITIES)
    subs = [s.code for d in load_default().dimensions for s in d.subdimensions]
    results["priorities"] = {
        "importance_method": "correlation with the OSI across respondents",
        "importance": {s: 0.3 + 0.01 * k for k, s in enumerate(subs)},
        "performance_cut": 78.0,
    }
    for row in results["communities"]:
        if row["code"] in PRIORITIES:
            row["priorities"] = {
                "improve_first": PRIORITIES[row["code"]],
                "keep_up": [],
                "stated_top": [],
            }
    return results


def act(
    client: TestClient,
    scope: str,
    codes: list[str],
    *,
    due: date | None = None,
    cancel: bool = False,
) -> int:
    with session_scope(engine_of(client)) as session:
        action = create_action(
            session=session,
            scope_level="street" if scope.startswith("S") else "community",
            scope_code=scope,
            fields=ActionFields(title=f"事项 {scope} {codes}", codes=codes, due_date=due),
            actor="admin",
        )
        if cancel:
            add_note(
                session=session,
                action_id=action.id or 0,
                note="不做了",
                status="cancelled",
                actor="admin",
            )
        return action.id or 0


@pytest.fixture
def scored(client: TestClient) -> TestClient:
    seed_staff(engine_of(client))
    store_snapshot(engine_of(client), with_priorities())
    return client


def test_unanswered_communities_follow_the_rule(scored: TestClient) -> None:
    labels = build_labels(load_default())
    with session_scope(engine_of(scored)) as session:
        view = wave_results(
            session=session, wave=get_wave(session=session, code="W1"), model_name=None
        )
    nothing = unanswered_communities(view, [], labels, None)
    assert [c["community"] for c in nothing] == ["C1", "C3"]  # C2 is suppressed
    assert [p["code"] for p in nothing[0]["priorities"]] == ["D1a", "D2b"]
    act(scored, "C1", ["D6a"])  # not one of C1's priorities
    act(scored, "C3", ["D4a"], cancel=True)  # cancelled: does not count
    act(scored, "S1", ["D2"])  # the street's action on the dimension above D2b answers C1
    with session_scope(engine_of(scored)) as session:
        actions = list_actions(session=session)
    assert [c["community"] for c in unanswered_communities(view, actions, labels, None)] == ["C3"]
    assert unanswered_communities(view, actions, labels, {"C1", "C2"}) == []


def test_scorecard_priorities_link_to_a_prefilled_action(scored: TestClient) -> None:
    sign_in(scored, "street")
    page = scored.get("/waves/W1/communities/C1").text
    assert "/actions?community=C1&amp;code=D1a&amp;wave=W1" in page
    assert "/actions?community=C1&amp;code=D2b&amp;wave=W1" in page
    form = scored.get("/actions?community=C1&code=D2b&wave=W1").text
    assert '<option value="D2b" selected>' in form and 'value="C1"' in form
    assert '<option value="W1" selected>' in form
    # The community's priorities come first in the picker, marked; any other code may be chosen.
    group = form[
        form.index("本社区重点改进项") : form.index("</optgroup>", form.index("本社区重点改进项"))
    ]
    assert "★ D1a" in group and "★ D2b" in group and "D3a" not in group
    assert '<option value="D3a">' in form
    sign_in(scored, "other_street")  # another street's priorities are not offered
    other = scored.get("/actions?community=C1&code=D2b&wave=W1").text
    assert "本社区重点改进项" not in other and "★" not in other
    sign_in(scored, "researcher")  # reads, does not create: no link
    assert "/actions?community=" not in scored.get("/waves/W1/communities/C1").text


def test_dashboard_lists_overdue_actions_and_unanswered_communities(scored: TestClient) -> None:
    late = act(scored, "C1", ["D1a"], due=date.today() - timedelta(days=3))
    act(scored, "C3", ["D6b"], due=date.today() + timedelta(days=30))
    sign_in(scored, "district")
    html = scored.get("/waves/W1").text
    section = html[html.index('id="h-actions"') : html.index('id="h-summary"')]
    overdue = section[: section.index("有重点改进项但尚无整改事项的社区")]
    assert f'/actions/{late}"' in overdue and "事项 C3" not in overdue
    unanswered = section[section.index("有重点改进项但尚无整改事项的社区") :]
    assert "/communities/C3" in unanswered and "/communities/C1" not in unanswered
    sign_in(scored, "street")  # street S1 sees neither C3 nor its actions
    section = scored.get("/waves/W1").text
    assert "/communities/C3" not in section[section.index('id="h-actions"') :]
    with session_scope(engine_of(scored)) as session:
        assert len(session.exec(select(Action)).all()) == 2
