"""Officials' JSON API: community scorecards, trends and the district summary.

Everything is read from stored snapshots (never recomputed) and limited to the reader's scope
(``api/routers/official_access.py``). ``model`` chooses the weight model; by default a wave's
own default model, and for trends the latest wave's.
"""

from __future__ import annotations

from typing import Annotated, Any

from anyio import from_thread
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from pydantic_core import to_json

from api.deps import CommunityDep, SessionDep, WaveDep
from api.schemas.officials import (
    CommunityTrend,
    DistrictSummary,
    DistrictTrend,
    Scorecard,
    StreetTrend,
)
from api.services.district_summary import build_summary
from api.services.scorecard import build_scorecard
from api.services.snapshot_store import wave_results
from api.services.trends import community_trend, district_trend, street_trend
from api.web.auth import CurrentUser, OptionalUser, current_user
from api.web.http_cache import conditional_json
from api.web.permissions import (
    allowed_communities,
    allowed_streets,
    community_street,
    ensure_community,
    require_community,
    require_street_aggregate,
)
from survey.storage.models import User, Wave
from survey.storage.registry import get_street, read_wave

router = APIRouter(prefix="/api/v1", tags=["officials"])

ModelQuery = Query(
    default=None,
    max_length=64,
    description="weight model name (default: the wave's default model; for trends, the "
    "latest wave's)",
)


def _json(model: type[BaseModel], payload: dict[str, Any]) -> Response:
    """Serialise the service's dict in one pydantic-core pass.

    Returning the dict would make FastAPI walk it in Python, validate it against ``model`` and
    encode it again, which costs more than building the scorecard (PERFORMANCE.md P7). The
    services build exactly the documented shape; tests/api/test_scorecard.py validates every
    response body against its model, so the OpenAPI document stays true.
    """
    del model  # documents which model the body follows; checked by the tests
    return Response(to_json(payload), media_type="application/json")


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "unknown (or out-of-scope) wave, community, street or model"}
}


def _scorecard_target(
    request: Request, wave: str, community: str, session: SessionDep, user: OptionalUser
) -> tuple[User, Wave, str, str | None]:
    """The scorecard's wave, community (code, street code) and reader, in one thread-pool hop.

    The hottest officials' read (PERFORMANCE.md P7): ``WaveDep``, ``CommunityDep`` and the
    community's street would cost a hop each, and under load a hop costs more than the query.
    The answers keep their order: unknown wave, then unknown community (404), then not signed
    in (401, from ``current_user`` itself). Nothing here is cached across requests.
    """
    found = read_wave(session=session, code=wave)
    code, street = community_street(session, community)
    if user is None:
        user = from_thread.run(current_user, request, user)  # raises 401 (or redirects)
    return user, found, code, street


@router.get(
    "/waves/{wave}/communities/{community}/scorecard",
    response_model=Scorecard,
    responses=NOT_FOUND,
    summary="A community's scorecard",
)
def get_scorecard(
    request: Request,
    target: Annotated[tuple[User, Wave, str, str | None], Depends(_scorecard_target)],
    session: SessionDep,
    model: str | None = ModelQuery,
) -> Any:
    """Index with interval and grade, rank and rank interval, change since the previous wave,
    dimensions against street/district/same-housing averages, trend, priorities, items and
    who answered. A suppressed community (below ``min_n``) has every figure null."""
    user, wave, code, street = target
    ensure_community(user, code, street)
    payload = build_scorecard(session=session, wave=wave, community=code, model_name=model)
    # Read-only: end the transaction here, so that closing the session costs no further hop.
    session.close()
    return conditional_json(request, to_json(payload))  # follows ``Scorecard``


@router.get(
    "/communities/{community}/trend",
    response_model=CommunityTrend,
    responses=NOT_FOUND,
    summary="A community's index across waves",
)
def get_community_trend(
    community: CommunityDep,
    session: SessionDep,
    user: CurrentUser,
    model: str | None = ModelQuery,
) -> Any:
    require_community(user, session, community)
    return _json(
        CommunityTrend,
        community_trend(session=session, community=community.code, model_name=model),
    )


@router.get(
    "/streets/{street}/trend",
    response_model=StreetTrend,
    responses=NOT_FOUND,
    summary="A street's aggregate index across waves",
)
def get_street_trend(
    street: str, session: SessionDep, user: CurrentUser, model: str | None = ModelQuery
) -> Any:
    found = get_street(session=session, code=street)
    require_street_aggregate(user, session, found.code)
    return _json(StreetTrend, street_trend(session=session, street=found.code, model_name=model))


@router.get("/district/trend", response_model=DistrictTrend, summary="The district across waves")
def get_district_trend(
    session: SessionDep, user: CurrentUser, model: str | None = ModelQuery
) -> Any:
    """The district series, and one row per street and community within the reader's scope."""
    report = district_trend(session=session, model_name=model)
    keep = allowed_communities(user, {r["code"]: r["street"] for r in report["communities"]})
    streets = allowed_streets(user, session)
    if keep is not None:
        report["communities"] = [r for r in report["communities"] if r["code"] in keep]
    if streets is not None:
        report["streets"] = [r for r in report["streets"] if r["street"] in streets]
    return _json(DistrictTrend, report)


@router.get(
    "/waves/{wave}/summary",
    response_model=DistrictSummary,
    responses=NOT_FOUND,
    summary="District summary of a wave",
)
def get_summary(
    wave: WaveDep, session: SessionDep, user: CurrentUser, model: str | None = ModelQuery
) -> Any:
    """Distribution of scores, significant rises and falls since the previous wave
    (Benjamini–Hochberg across communities), and the most common priorities."""
    view = wave_results(session=session, wave=wave, model_name=model)
    summary = build_summary(
        session=session,
        wave=wave,
        model_name=model,
        allowed=allowed_communities(user, view.streets()),
    )
    return _json(DistrictSummary, summary)
