"""The action-plan JSON API (整改事项): list, read, create, change, add progress notes, export.

Any staff user reads the actions of their scope; officials and admins create and change them
(researchers and enumerators read only: 403). A community or street outside the caller's scope
answers 404, as if it did not exist (api/web/permissions.py). Nothing is ever deleted: an
action that will not happen is cancelled with a note. Every change is audited under the
caller's username (survey/storage/actions.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse
from sqlmodel import Session

from api.deps import RowIdPath, SessionDep
from api.exports.actions import actions_xlsx
from api.exports.cells import XLSX_TYPE
from api.schemas.actions import ActionCreate, ActionDetail, ActionList, ActionUpdate, NoteCreate
from api.services.actions import action_views, check_codes, labels_for_codes, summary_of
from api.web.auth import CurrentUser, require_role
from api.web.permissions import action_scope_codes, require_action_scope
from survey.errors import NotFoundError
from survey.storage.actions import (
    STATUSES,
    ActionFields,
    add_note,
    create_action,
    get_action,
    list_actions,
    update_action,
)
from survey.storage.models import Action, User

router = APIRouter(prefix="/api/v1/actions", tags=["actions"])

ActionWriter = Annotated[User, Depends(require_role("admin", "official"))]

READ: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    404: {"description": "no such action, or its community or street is outside your scope"},
}
EXPORT: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX_TYPE: {}}, "description": "every action of the scope"}
}
WRITE: dict[int | str, dict[str, Any]] = {
    **READ,
    400: {"description": "a field is wrong (unknown code, due before start...): nothing changed"},
    403: {"description": "researchers and enumerators may read actions, not change them"},
    409: {"description": "the status cannot move that way (a cancelled action is final)"},
    422: {"description": "the body does not have the documented shape"},
}


def visible_action(session: Session, user: User, action_id: int) -> Action:
    """The action, or 404 if it does not exist or lies outside the reader's scope."""
    try:
        action = get_action(session=session, action_id=action_id)
    except NotFoundError:  # reported the same as out of scope
        action = None
    allowed = action_scope_codes(user, session)
    if action is None or (allowed is not None and action.scope_code not in allowed):
        raise HTTPException(status_code=404, detail=f"no action with id {action_id}")
    return action


def writable_action(session: Session, user: User, action_id: int) -> Action:
    action = visible_action(session, user, action_id)
    require_action_scope(user, session, action.scope_level, action.scope_code)
    return action


def detail(session: Session, action: Action) -> dict[str, Any]:
    return action_views(session, [action], notes=True)[0]


def scoped_actions(
    session: Session,
    user: User,
    *,
    scope: str | None = None,
    status: list[str] | None = None,
    code: str | None = None,
) -> list[Action]:
    allowed = action_scope_codes(user, session)
    codes: set[str] | None = allowed
    if scope:
        codes = {scope} if allowed is None or scope in allowed else set()
    return list_actions(session=session, scope_codes=codes, statuses=status or None, code=code)


StatusQuery = Query(description=f"keep these statuses ({', '.join(STATUSES)})")


@router.get("", response_model=ActionList, responses=READ | {422: {"description": "bad filter"}})
def list_route(
    session: SessionDep,
    user: CurrentUser,
    scope: Annotated[
        str | None, Query(max_length=32, description="community or street code")
    ] = None,
    status: Annotated[list[str] | None, StatusQuery] = None,
    code: Annotated[str | None, Query(max_length=32, description="addresses this code")] = None,
    overdue: bool = False,
) -> Any:
    """The actions of the caller's scope, oldest first, with counts by status."""
    bad = [s for s in status or [] if s not in STATUSES]
    if bad:
        raise HTTPException(422, detail=f"status is one of {', '.join(STATUSES)}, not {bad[0]!r}")
    views = action_views(
        session, scoped_actions(session, user, scope=scope, status=status, code=code)
    )
    if overdue:
        views = [v for v in views if v["overdue"]]
    return {"count": len(views), "actions": views, "summary": summary_of(views)}


@router.get(
    "/export.xlsx",
    responses={**EXPORT, **READ},
    response_class=FileResponse,
)
def export_route(session: SessionDep, user: CurrentUser) -> FileResponse:
    """Every action of the caller's scope with its progress notes and measured effect (XLSX)."""
    return actions_xlsx(action_views(session, scoped_actions(session, user), notes=True))


@router.get("/{action_id}", response_model=ActionDetail, responses=READ)
def get_route(action_id: RowIdPath, session: SessionDep, user: CurrentUser) -> Any:
    return detail(session, visible_action(session, user, action_id))


@router.post("", response_model=ActionDetail, status_code=201, responses=WRITE)
def create_route(body: ActionCreate, session: SessionDep, user: ActionWriter) -> Any:
    """A new action, ``planned``; the codes must be the questionnaire's."""
    require_action_scope(user, session, body.scope_level, body.scope_code)
    check_codes(labels_for_codes(session, body.wave_code), body.codes)
    fields = ActionFields(**body.model_dump(exclude={"scope_level", "scope_code"}))
    action = create_action(
        session=session,
        scope_level=body.scope_level,
        scope_code=body.scope_code,
        fields=fields,
        actor=user.username,
    )
    session.commit()
    return detail(session, action)


@router.patch("/{action_id}", response_model=ActionDetail, responses=WRITE)
def update_route(
    action_id: RowIdPath, body: ActionUpdate, session: SessionDep, user: ActionWriter
) -> Any:
    """Change the fields sent (a field sent as null is cleared where that makes sense)."""
    action = writable_action(session, user, action_id)
    changes = body.model_dump(exclude_unset=True)
    for name in ("title", "codes", "owner", "theme", "wave_code"):
        if name in changes and changes[name] is None:
            raise HTTPException(422, detail=f"{name} cannot be null")
    if changes.get("wave_code"):
        labels_for_codes(session, changes["wave_code"])  # 400 for a wave that does not exist
    if "codes" in changes:
        check_codes(
            labels_for_codes(session, changes.get("wave_code", action.wave_code)), changes["codes"]
        )
    update_action(session=session, action_id=action_id, changes=changes, actor=user.username)
    session.commit()
    return detail(session, action)


@router.post("/{action_id}/notes", response_model=ActionDetail, status_code=201, responses=WRITE)
def note_route(
    action_id: RowIdPath, body: NoteCreate, session: SessionDep, user: ActionWriter
) -> Any:
    """A dated progress note, optionally with the action's new status."""
    writable_action(session, user, action_id)
    add_note(
        session=session,
        action_id=action_id,
        note=body.note,
        status=body.status,
        actor=user.username,
    )
    session.commit()
    return detail(session, get_action(session=session, action_id=action_id))
