"""Who may see what: the scope of a staff user, and which officials' figures it opens.

Admins, researchers and district officials see every community; a street official sees the
communities of one street; a community official sees one community. Out-of-scope look-ups answer
404 with the same message as a code that does not exist, so an official cannot probe which
communities or streets exist outside their scope.

Officials' figures, shared by JSON and pages:

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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import HTTPException
from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from survey.errors import NotFoundError
from survey.storage.models import Community, Street, User

Row = TypeVar("Row", bound=Mapping[str, Any])

_STREETS: Any = Street.__table__  # type: ignore[attr-defined]
_COMMUNITIES: Any = Community.__table__  # type: ignore[attr-defined]
_STREET_CODE = sa_select(_STREETS.c.code).where(_STREETS.c.id == bindparam("id"))
_COMMUNITY_STREET = (
    sa_select(_COMMUNITIES.c.code, _STREETS.c.code)
    .select_from(_COMMUNITIES.outerjoin(_STREETS, _STREETS.c.id == _COMMUNITIES.c.street_id))
    .where(_COMMUNITIES.c.code == bindparam("code"))
)


@dataclass(frozen=True)
class Scope:
    level: str  # district | street | community
    code: str = ""  # the street or community code; "" for the district

    @classmethod
    def of(cls, user: User) -> Scope:
        # Enumerators (网格员) are scoped like officials: they enter and see only their area.
        if user.role not in ("official", "enumerator"):
            return cls("district")
        return cls(user.scope_level, user.scope_code)

    @property
    def is_district(self) -> bool:
        return self.level == "district"

    def allows_community(self, community_code: str | None, street_code: str | None) -> bool:
        if self.level == "district":
            return True
        if self.level == "street":
            return street_code is not None and street_code == self.code
        return community_code is not None and community_code == self.code

    def allows_street(self, street_code: str | None) -> bool:
        """Whether the user may see the street's communities one by one (its ranking, its list).

        A community official may not: the street view shows the neighbours' figures.
        """
        if self.level == "district":
            return True
        return self.level == "street" and street_code is not None and street_code == self.code

    def filter_rows(
        self, rows: Iterable[Row], community_key: str = "community", street_key: str = "street"
    ) -> list[Row]:
        """The rows (dicts with a community code and a street code) inside the scope."""
        return [
            row
            for row in rows
            if self.allows_community(row.get(community_key), row.get(street_key))
        ]


def ensure_community(user: User, community: str, street_code: str | None) -> None:
    """Raise 404 unless ``user`` may see ``community`` (whose street is ``street_code``)."""
    if not Scope.of(user).allows_community(community, street_code):
        raise HTTPException(status_code=404, detail=f"no community with code {community!r}")


def ensure_street(user: User, street_code: str) -> None:
    """Raise 404 unless ``user`` may see the street's communities one by one."""
    if not Scope.of(user).allows_street(street_code):
        raise HTTPException(status_code=404, detail=f"no street with code {street_code!r}")


def street_code_of(session: Session, community: Community) -> str | None:
    # A prepared statement: this runs on every scorecard read (PERFORMANCE.md P7).
    code = session.connection().execute(_STREET_CODE, {"id": community.street_id}).scalar()
    return None if code is None else str(code)


def community_street(session: Session, code: str) -> tuple[str, str | None]:
    """A community's code and its street's code in one prepared query (no ORM instance).

    The same 404 as ``survey.storage.registry.read_community`` for an unknown code; read on every
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


def allowed_communities(user: User, streets: Mapping[str, str | None]) -> set[str] | None:
    """Codes (of ``streets``: community code → street code) the user may see by name
    (None: all of them)."""
    scope = Scope.of(user)
    if scope.is_district:
        return None
    return {c for c, street in streets.items() if scope.allows_community(c, street)}


def allowed_streets(user: User, session: Session) -> set[str] | None:
    scope = Scope.of(user)
    if scope.is_district:
        return None
    if scope.level == "street":
        return {scope.code}
    own = _own_community_street(user, session)
    return set() if own is None else {own}


# -- action plans (整改事项) ------------------------------------------------------------------


def action_scope_codes(user: User, session: Session) -> set[str] | None:
    """Scope codes (community or street) whose actions the user may read; None: all of them.

    A street official reads the street's own actions and those of its communities; a community
    official reads the community's and its street's (the street's work is no neighbour's
    figure, and it shows on the community's public page anyway).
    """
    scope = Scope.of(user)
    if scope.is_district:
        return None
    if scope.level == "street":
        communities = session.exec(
            select(Community.code).join(Street).where(Street.code == scope.code)
        ).all()
        return {scope.code, *communities}
    own = _own_community_street(user, session)
    return {scope.code} if own is None else {scope.code, own}


def require_action_scope(user: User, session: Session, level: str, code: str) -> None:
    """404 unless the user may create or change actions of this community or street.

    A community official acts only for the community; street actions need the street's (or
    the district's) scope. Unknown and out-of-scope codes get the same reply.
    """
    scope = Scope.of(user)
    if level == "street":
        if not scope.allows_street(code):
            raise HTTPException(status_code=404, detail=f"no street with code {code!r}")
        return
    try:
        community, street = community_street(session, code)
    except NotFoundError:
        raise HTTPException(status_code=404, detail=f"no community with code {code!r}") from None
    ensure_community(user, community, street)
