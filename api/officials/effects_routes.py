"""Officials' JSON API for "did it work?": an action's measured effect and the summaries.

Computed by ``api/services/action_effects.py`` from stored responses; limited to the reader's
scope (an action of a community or street outside it is a 404, as if it did not exist).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from sqlmodel import select

from api.deps import SessionDep
from api.schemas.effects import ActionEffects, EffectsSummary
from api.services.action_effects import effect_for_action, effects_summary
from api.web.auth import CurrentUser
from api.web.permissions import Scope, ensure_community, ensure_street
from survey.errors import NotFoundError, SurveyError
from survey.storage.models import Action, Community, Street

router = APIRouter(prefix="/api/v1", tags=["officials"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    404: {"description": "unknown (or out-of-scope) action, wave, street or community"},
}


def _street_of(session: SessionDep, community: str) -> str | None:
    row = session.exec(select(Community).where(Community.code == community)).first()
    if row is None:
        return None
    street = session.get(Street, row.street_id)
    return street.code if street else None


@router.get(
    "/actions/{action_id}/effect",
    response_model=ActionEffects,
    responses=RESPONSES,
    summary="The measured effect of one action (改善明显 / 未见明显变化 / 无法判断)",
)
def action_effect(
    action_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep, user: CurrentUser
) -> Any:
    action = session.get(Action, action_id)
    if action is None:
        raise HTTPException(status_code=404, detail=f"no action with id {action_id}")
    if action.scope_level == "community":
        ensure_community(user, action.scope_code, _street_of(session, action.scope_code))
    else:
        ensure_street(user, action.scope_code)
    return effect_for_action(session, action_id)


@router.get(
    "/action-effects",
    response_model=EffectsSummary,
    responses={
        **RESPONSES,
        400: {"description": "scope is not district, street:CODE or community:CODE"},
    },
    summary="Completed actions and how many clearly improved their indicator",
)
def action_effects_summary(
    session: SessionDep,
    user: CurrentUser,
    wave: Annotated[str | None, Query(max_length=32, description="after wave code")] = None,
    scope: Annotated[
        str, Query(max_length=48, description="district, street:CODE or community:CODE")
    ] = "district",
) -> Any:
    kind, _, code = scope.partition(":")
    if kind == "community":
        ensure_community(user, code, _street_of(session, code))
    elif kind == "street":
        ensure_street(user, code)
    elif kind == "district" and not Scope.of(user).is_district:
        raise HTTPException(status_code=404, detail="the district summary is not in your scope")
    try:
        return effects_summary(session, wave, scope)
    except NotFoundError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except SurveyError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
