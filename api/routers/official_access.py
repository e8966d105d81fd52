"""Who may see which officials' figures (built on ``api.scope``), shared by JSON and pages.

- A community's figures (scorecard, trend): the community must be in the reader's scope;
  otherwise 404, as if it did not exist (``ensure_community``).
- A street's page (its communities one by one): ``ensure_street`` (community officials: 404).
- A street's *aggregate* (its mean, no community named): district readers, that street's
  officials, and officials of a community in that street, who see it on their own scorecard
  anyway as "街道平均".
- District aggregates (district mean, distribution of scores, how often each priority comes
  up) name no community and are open to every staff reader; lists that name communities are
  filtered to the scope.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from api.scope import Scope, ensure_community
from survey.errors import NotFoundError
from survey.models import Community, Street, User

_STREETS: Any = Street.__table__  # type: ignore[attr-defined]
_COMMUNITIES: Any = Community.__table__  # type: ignore[attr-defined]
_STREET_CODE = sa_select(_STREETS.c.code).where(_STREETS.c.id == bindparam("id"))
_COMMUNITY_STREET = (
    sa_select(_COMMUNITIES.c.code, _STREETS.c.code)
    .select_from(_COMMUNITIES.outerjoin(_STREETS, _STREETS.c.id == _COMMUNITIES.c.street_id))
    .where(_COMMUNITIES.c.code == bindparam("code"))
)


def street_code_of(session: Session, community: Community) -> str | None:
    # A prepared statement: this runs on every scorecard read (PERFORMANCE.md P7).
    code = session.connection().execute(_STREET_CODE, {"id": community.street_id}).scalar()
    return None if code is None else str(code)


def community_street(session: Session, code: str) -> tuple[str, str | None]:
    """A community's code and its street's code in one prepared query (no ORM instance).

    The same 404 as ``survey.registry.read_community`` for an unknown code; read on every
    scorecard request (scope is never cached across requests; PERFORMANCE.md P7).
    """
    row = session.connection().execute(_COMMUNITY_STREET, {"code": code}).first()
    if row is None:
        raise NotFoundError(f"no community with code {code!r}")
    return str(row[0]), None if row[1] is None else str(row[1])


def require_community(user: User, session: Session, community: Community) -> str | None:
    """404 unless the user may see the community; returns its street code."""
    street = street_code_of(session, community)
    ensure_community(user, community.code, street)
    return street


def _own_community_street(user: User, session: Session) -> str | None:
    scope = Scope.of(user)
    if scope.level != "community":
        return None
    return session.exec(
        select(Street.code).join(Community).where(Community.code == scope.code)
    ).first()


def street_aggregate_allowed(user: User, session: Session, street: str) -> bool:
    scope = Scope.of(user)
    if scope.allows_street(street):
        return True
    return scope.level == "community" and _own_community_street(user, session) == street


def require_street_aggregate(user: User, session: Session, street: str) -> None:
    if not street_aggregate_allowed(user, session, street):
        raise HTTPException(status_code=404, detail=f"no street with code {street!r}")


def allowed_communities(user: User, meta: dict[str, dict[str, Any]]) -> set[str] | None:
    """Codes the user may see by name (None: all of them)."""
    scope = Scope.of(user)
    if scope.is_district:
        return None
    return {c for c, m in meta.items() if scope.allows_community(c, m.get("street"))}


def allowed_streets(user: User, session: Session) -> set[str] | None:
    scope = Scope.of(user)
    if scope.is_district:
        return None
    if scope.level == "street":
        return {scope.code}
    own = _own_community_street(user, session)
    return set() if own is None else {own}
