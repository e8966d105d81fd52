"""What part of the district a staff user may see.

Admins, researchers and district officials see every community; a street official sees the
communities of one street; a community official sees one community. Out-of-scope look-ups answer
404 with the same message as a code that does not exist, so an official cannot probe which
communities or streets exist outside their scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import HTTPException

from survey.models import User

Row = TypeVar("Row", bound=Mapping[str, Any])


@dataclass(frozen=True)
class Scope:
    level: str  # district | street | community
    code: str = ""  # the street or community code; "" for the district

    @classmethod
    def of(cls, user: User) -> Scope:
        if user.role != "official":
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
