"""Action plans in storage: validation, status transitions, never deleted, every change audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from survey.errors import ConflictError, NotFoundError, SurveyError
from survey.storage.actions import (
    ActionFields,
    add_note,
    create_action,
    is_overdue,
    list_actions,
    list_notes,
    update_action,
)
from survey.storage.db import session_scope
from survey.storage.models import Action, AuditEvent
from tests.support.factories import seed_minimal

FIELDS = ActionFields(
    title="  加装电梯试点 ",
    codes=["D3.2", "D3.2", "Q12"],
    owner="社区居委会",
    start_date=date(2026, 3, 1),
    due_date=date(2026, 6, 30),
    budget=120000,
)


def audit_events(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        query = select(AuditEvent).where(col(AuditEvent.action).startswith("action."))
        return list(session.exec(query.order_by(col(AuditEvent.id))).all())


def new_action(engine: Engine, **kw: object) -> int:
    with session_scope(engine) as session:
        action = create_action(
            session=session,
            scope_level=str(kw.get("level", "community")),
            scope_code=str(kw.get("code", "C1")),
            fields=FIELDS,
            actor="official1",
        )
        return action.id or 0


def test_create_trims_dedupes_and_audits(engine: Engine) -> None:
    seed_minimal(engine)
    action_id = new_action(engine)
    with Session(engine) as session:
        action = session.get(Action, action_id)
        assert action is not None
        assert (action.title, action.codes, action.status) == (
            "加装电梯试点",
            ["D3.2", "Q12"],
            "planned",
        )
        assert action.budget == 120000.0 and action.due_date == date(2026, 6, 30)
        assert [n.status_after for n in list_notes(session=session, action_id=action_id)] == [
            "planned"
        ]
    [event] = audit_events(engine)
    assert (event.action, event.actor, event.target) == (
        "action.create",
        "official1",
        f"action:{action_id}",
    )
    assert event.detail["scope"] == "community:C1" and event.detail["codes"] == ["D3.2", "Q12"]


@pytest.mark.parametrize(
    ("level", "code", "error", "match"),
    [
        ("community", "NOPE", NotFoundError, "community"),
        ("street", "C1", NotFoundError, "street"),
        ("district", "", SurveyError, "scope_level"),
    ],
)
def test_create_checks_the_scope(
    engine: Engine, level: str, code: str, error: type, match: str
) -> None:
    seed_minimal(engine)
    with pytest.raises(error, match=match), session_scope(engine) as session:
        create_action(session=session, scope_level=level, scope_code=code, fields=FIELDS, actor="a")
    assert list_all(engine) == [] and audit_events(engine) == []


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"title": "   "}, "title is required"),
        ({"title": "长" * 201}, "title is at most 200"),
        ({"codes": []}, "at least one"),
        ({"codes": "D1"}, "list"),
        ({"budget": -1}, "budget"),
        ({"budget": float("nan")}, "budget"),
        ({"start_date": date(2026, 7, 1)}, "due_date is before start_date"),
        ({"due_date": "2026-01-01"}, "due_date must be a date"),
    ],
)
def test_bad_fields_are_named_and_change_nothing(engine: Engine, changes: dict, match: str) -> None:
    seed_minimal(engine)
    action_id = new_action(engine)
    with pytest.raises(SurveyError, match=match), session_scope(engine) as session:
        update_action(session=session, action_id=action_id, changes=changes, actor="a")
    with Session(engine) as session:
        action = session.get(Action, action_id)
        assert action is not None and action.title == "加装电梯试点" and action.budget == 120000.0
    assert [e.action for e in audit_events(engine)] == ["action.create"]


def test_update_audits_old_and_new_values_and_refuses_status(engine: Engine) -> None:
    seed_minimal(engine)
    action_id = new_action(engine)
    with session_scope(engine) as session:
        update_action(session=session, action_id=action_id, changes={"owner": "街道办"}, actor="b")
        # The same value again changes nothing and writes no event.
        update_action(session=session, action_id=action_id, changes={"owner": "街道办"}, actor="b")
    with pytest.raises(SurveyError, match="status"), session_scope(engine) as session:
        update_action(session=session, action_id=action_id, changes={"status": "done"}, actor="b")
    events = audit_events(engine)
    assert [e.action for e in events] == ["action.create", "action.update"]
    assert events[1].detail["changes"] == {"owner": {"from": "社区居委会", "to": "街道办"}}


def test_status_transitions_are_checked_and_cancelled_is_final(engine: Engine) -> None:
    seed_minimal(engine)
    action_id = new_action(engine)
    with session_scope(engine) as session:
        add_note(
            session=session, action_id=action_id, note="已开工", status="in_progress", actor="o"
        )
        add_note(session=session, action_id=action_id, note="", status="done", actor="o")
    with Session(engine) as session:
        action = session.get(Action, action_id)
        assert action is not None and action.status == "done" and action.completed_at is not None
    with pytest.raises(SurveyError, match="needs a note"), session_scope(engine) as session:
        add_note(session=session, action_id=action_id, note="", status="in_progress", actor="o")
    with (
        pytest.raises(ConflictError, match="can move to in_progress"),
        session_scope(engine) as session,
    ):
        add_note(session=session, action_id=action_id, note="x", status="planned", actor="o")
    with session_scope(engine) as session:
        add_note(
            session=session, action_id=action_id, note="电梯故障", status="in_progress", actor="o"
        )
        add_note(
            session=session, action_id=action_id, note="预算取消", status="cancelled", actor="o"
        )
    with Session(engine) as session:
        action = session.get(Action, action_id)
        assert action is not None and action.status == "cancelled" and action.completed_at is None
        notes = list_notes(session=session, action_id=action_id)
        assert [n.status_after for n in notes] == [
            "planned",
            "in_progress",
            "done",
            "in_progress",
            "cancelled",
        ]
    for call in (
        lambda s: add_note(session=s, action_id=action_id, note="再试", actor="o"),
        lambda s: update_action(session=s, action_id=action_id, changes={"title": "新"}, actor="o"),
    ):
        with pytest.raises(ConflictError, match="cancelled"), session_scope(engine) as session:
            call(session)
    assert len(list_all(engine)) == 1  # cancelled, still there
    assert [e.detail["to"] for e in audit_events(engine) if e.action == "action.note"] == [
        "in_progress",
        "done",
        "in_progress",
        "cancelled",
    ]


def list_all(engine: Engine) -> list[Action]:
    with Session(engine) as session:
        return list_actions(session=session)


def test_list_filters_by_scope_status_and_code(engine: Engine) -> None:
    seed_minimal(engine)
    first, second, street = (
        new_action(engine),
        new_action(engine, code="C2"),
        new_action(engine, level="street", code="S1"),
    )
    with session_scope(engine) as session:
        add_note(session=session, action_id=second, note="开始", status="in_progress", actor="o")
    with Session(engine) as session:
        ids = lambda **kw: [a.id for a in list_actions(session=session, **kw)]  # noqa: E731
        assert ids(scope_codes=["C1", "S1"]) == [first, street]
        assert ids(statuses=["in_progress"]) == [second]
        assert ids(code="Q12") == [first, second, street] and ids(code="D9") == []
        with pytest.raises(SurveyError, match="status"):
            ids(statuses=["finished"])


def test_overdue_is_only_unfinished_past_due() -> None:
    action = Action(
        scope_level="community",
        scope_code="C1",
        title="t",
        created_by="a",
        due_date=date(2026, 5, 1),
    )
    assert is_overdue(action, date(2026, 5, 2)) and not is_overdue(action, date(2026, 5, 1))
    action.status = "done"
    assert not is_overdue(action, date(2027, 1, 1))
    action.status, action.due_date = "in_progress", None
    assert not is_overdue(action, date(2027, 1, 1))
