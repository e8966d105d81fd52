"""Action plans (整改事项): what a community or street does about what residents said.

An action belongs to one scope (a community or a street), names the sub-dimension or item codes
it addresses, and moves through ``planned → in_progress → done`` (or ``cancelled``). It is never
deleted; a cancelled action stays in the list with its notes. Every change writes an audit event
(``action.create``, ``action.update``, ``action.note``) in the same transaction, and every status
change or progress note writes a dated :class:`ActionNote`. Callers commit (like
``survey.storage.waves``): a rejected change raises before anything is added to the session.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from survey.errors import ConflictError, NotFoundError, SurveyError
from survey.storage.models import Action, ActionNote, AuditEvent, Community, Street, utcnow

STATUSES = ("planned", "in_progress", "done", "cancelled")
SCOPE_LEVELS = ("community", "street")
# Where each status may go next. ``done → in_progress`` reopens an action whose result did not
# hold (it needs a note saying why); ``cancelled`` is final, so a cancelled action keeps meaning
# "this was not done" in every later export.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "planned": ("in_progress", "done", "cancelled"),
    "in_progress": ("done", "cancelled"),
    "done": ("in_progress",),
    "cancelled": (),
}
# The fields ``update_action`` may change; status goes through ``add_note``.
EDITABLE = ("title", "codes", "owner", "start_date", "due_date", "budget", "theme", "wave_code")
MAX_CODES = 20


@dataclass(frozen=True)
class ActionFields:
    """What an official types for an action (everything but its scope and status)."""

    title: str
    codes: list[str]
    owner: str = ""
    start_date: date | None = None
    due_date: date | None = None
    budget: float | None = None
    theme: str = ""
    wave_code: str = ""


def _check_text(name: str, value: Any, limit: int, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise SurveyError(f"{name} must be text")
    value = value.strip()
    if required and not value:
        raise SurveyError(f"{name} is required")
    if len(value) > limit:
        raise SurveyError(f"{name} is at most {limit} characters ({len(value)} given)")
    return value


def _check_codes(codes: Any) -> list[str]:
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise SurveyError("codes must be a list of sub-dimension or item codes")
    cleaned = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not cleaned:
        raise SurveyError("codes: name at least one sub-dimension or item the action addresses")
    if len(cleaned) > MAX_CODES:
        raise SurveyError(f"codes: at most {MAX_CODES} codes per action")
    too_long = [c for c in cleaned if len(c) > 32]
    if too_long:
        raise SurveyError(f"codes: {too_long[0][:40]!r} is not a code")
    return cleaned


def _check_budget(budget: Any) -> float | None:
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, int | float):
        raise SurveyError("budget must be a number of yuan")
    if not math.isfinite(budget) or budget < 0:
        raise SurveyError("budget must be a finite number of yuan, 0 or more")
    return float(budget)


def _check_dates(start: date | None, due: date | None) -> None:
    for name, value in (("start_date", start), ("due_date", due)):
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            raise SurveyError(f"{name} must be a date (YYYY-MM-DD)")
    if start is not None and due is not None and due < start:
        raise SurveyError("due_date is before start_date")


def check_fields(fields: ActionFields) -> ActionFields:
    """The fields, trimmed, or :class:`SurveyError` naming the first one that is wrong."""
    _check_dates(fields.start_date, fields.due_date)
    return ActionFields(
        title=_check_text("title", fields.title, 200, required=True),
        codes=_check_codes(fields.codes),
        owner=_check_text("owner", fields.owner, 100),
        start_date=fields.start_date,
        due_date=fields.due_date,
        budget=_check_budget(fields.budget),
        theme=_check_text("theme", fields.theme, 64),
        wave_code=_check_text("wave_code", fields.wave_code, 32),
    )


def check_scope(*, session: Session, scope_level: str, scope_code: str) -> None:
    """The scope exists in the register (a retired community takes no new action)."""
    if scope_level not in SCOPE_LEVELS:
        raise SurveyError(f"scope_level is one of {', '.join(SCOPE_LEVELS)}, not {scope_level!r}")
    if scope_level == "street":
        if session.exec(select(Street).where(Street.code == scope_code)).first() is None:
            raise NotFoundError(f"no street with code {scope_code!r}")
        return
    community = session.exec(select(Community).where(Community.code == scope_code)).first()
    if community is None:
        raise NotFoundError(f"no community with code {scope_code!r}")
    if community.retired_at is not None:
        raise ConflictError(f"community {scope_code} has left the register")


def _audit(
    session: Session, *, actor: str, event: str, action: Action, detail: dict[str, Any]
) -> None:
    session.add(
        AuditEvent(
            actor=actor,
            action=event,
            target=f"action:{action.id}",
            detail={"scope": f"{action.scope_level}:{action.scope_code}", **detail},
        )
    )


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def create_action(
    *, session: Session, scope_level: str, scope_code: str, fields: ActionFields, actor: str
) -> Action:
    check_scope(session=session, scope_level=scope_level, scope_code=scope_code)
    fields = check_fields(fields)
    now = utcnow()
    action = Action(
        scope_level=scope_level,
        scope_code=scope_code,
        title=fields.title,
        codes=fields.codes,
        owner=fields.owner,
        start_date=fields.start_date,
        due_date=fields.due_date,
        budget=fields.budget,
        theme=fields.theme,
        wave_code=fields.wave_code,
        status="planned",
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(action)
    session.flush()  # the id, for the audit target
    _audit(
        session,
        actor=actor,
        event="action.create",
        action=action,
        detail={name: _jsonable(getattr(fields, name)) for name in EDITABLE},
    )
    session.add(
        ActionNote(
            action_id=action.id or 0, note="", status_after="planned", author=actor, created_at=now
        )
    )
    session.flush()
    return action


def get_action(*, session: Session, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise NotFoundError(f"no action with id {action_id}")
    return action


def update_action(
    *, session: Session, action_id: int, changes: dict[str, Any], actor: str
) -> Action:
    """Change some of the editable fields; the audit event keeps each old and new value."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise SurveyError(
            f"cannot change {', '.join(unknown)} (editable: {', '.join(EDITABLE)}; "
            "status changes with a progress note)"
        )
    action = get_action(session=session, action_id=action_id)
    if action.status == "cancelled":
        raise ConflictError(f"action {action_id} is cancelled and can no longer change")
    current = ActionFields(**{name: getattr(action, name) for name in EDITABLE})
    merged = check_fields(ActionFields(**{**current.__dict__, **changes}))
    diff = {
        name: {"from": _jsonable(getattr(current, name)), "to": _jsonable(getattr(merged, name))}
        for name in EDITABLE
        if getattr(current, name) != getattr(merged, name)
    }
    if not diff:
        return action
    for name in diff:
        setattr(action, name, getattr(merged, name))
    action.updated_at = utcnow()
    session.add(action)
    _audit(session, actor=actor, event="action.update", action=action, detail={"changes": diff})
    session.flush()
    return action


def add_note(
    *, session: Session, action_id: int, note: str, actor: str, status: str | None = None
) -> ActionNote:
    """A dated progress note, optionally moving the action to ``status`` (checked transition)."""
    action = get_action(session=session, action_id=action_id)
    if action.status == "cancelled":
        raise ConflictError(f"action {action_id} is cancelled and can no longer change")
    text = _check_text("note", note, 2000)
    new_status = action.status if status in (None, "") else status
    if new_status not in STATUSES:
        raise SurveyError(f"status is one of {', '.join(STATUSES)}, not {new_status!r}")
    changes_status = new_status != action.status
    if changes_status and new_status not in TRANSITIONS[action.status]:
        allowed = ", ".join(TRANSITIONS[action.status])
        raise ConflictError(
            f"action {action_id} is {action.status}; it can move to {allowed}, not {new_status}"
        )
    if not changes_status and not text:
        raise SurveyError("a progress note needs text or a new status")
    if changes_status and not text and (new_status == "cancelled" or action.status == "done"):
        raise SurveyError(
            f"moving an action from {action.status} to {new_status} needs a note saying why"
        )
    now = utcnow()
    previous = action.status
    if changes_status:
        action.status = new_status
        action.completed_at = now if new_status == "done" else None
    action.updated_at = now
    session.add(action)
    entry = ActionNote(
        action_id=action_id, note=text, status_after=new_status, author=actor, created_at=now
    )
    session.add(entry)
    _audit(
        session,
        actor=actor,
        event="action.note",
        action=action,
        detail={"from": previous, "to": new_status, "note_chars": len(text)},
    )
    session.flush()
    return entry


def list_actions(
    *,
    session: Session,
    scope_codes: Iterable[str] | None = None,
    statuses: Iterable[str] | None = None,
    code: str | None = None,
) -> list[Action]:
    """Actions, oldest first; ``scope_codes`` None = every scope, ``code`` = those addressing it."""
    query = select(Action)
    if scope_codes is not None:
        query = query.where(col(Action.scope_code).in_(list(scope_codes)))
    if statuses is not None:
        wanted = list(statuses)
        bad = [s for s in wanted if s not in STATUSES]
        if bad:
            raise SurveyError(f"status is one of {', '.join(STATUSES)}, not {bad[0]!r}")
        query = query.where(col(Action.status).in_(wanted))
    actions = list(session.exec(query.order_by(col(Action.id))).all())
    if code is not None:
        # JSON containment differs between SQLite and PostgreSQL; the lists are short.
        actions = [a for a in actions if code in a.codes]
    return actions


def list_notes(*, session: Session, action_id: int) -> list[ActionNote]:
    query = select(ActionNote).where(ActionNote.action_id == action_id)
    return list(session.exec(query.order_by(col(ActionNote.id))).all())


def is_overdue(action: Action, today: date) -> bool:
    """Not finished by its due date (done and cancelled actions are never overdue)."""
    return (
        action.status in ("planned", "in_progress")
        and action.due_date is not None
        and action.due_date < today
    )
