"""The credential every JSON submission carries, and what it fixes: wave, community, channel.

Three ways in (docs/residents.md "For app and mini-program integrators"):

- ``link``: the signed token of a community's open link ``/s/{token}`` (open waves only);
- ``invitation``: a single-use invitation code (invitation-mode waves only);
- ``Authorization: Bearer <token>`` of a staff account allowed to enter answers (``admin``, or
  an ``enumerator`` 网格员/volunteer within their scope), for door-to-door and paper entry.

The credential, never the body, decides the community: a ``community`` (or ``wave``) field that
disagrees is refused with 422 naming it, so a client bug cannot file answers elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request
from sqlmodel import Session

from api.settings import Settings
from api.web.auth import bearer_token
from api.web.permissions import Scope, street_code_of
from survey.errors import NotFoundError
from survey.storage.access import (
    AccessError,
    find_invitation,
    read_open_link,
    require_invitation_mode,
)
from survey.storage.intake_reads import read_wave_and_community
from survey.storage.models import Community, Invitation, User, Wave
from survey.storage.registry import get_community, get_wave
from survey.storage.users import ENTRY_ROLES, resolve_token

NO_CREDENTIAL = (
    "send a credential: 'link' (the token of the community's /s/{token} address), "
    "'invitation' (a code from a slip), or 'Authorization: Bearer <token>' of an enumerator"
)


@dataclass(frozen=True)
class Credential:
    """What a credential decided."""

    kind: str  # link | invitation | staff
    wave: Wave
    community: Community
    invitation: Invitation | None = None
    enumerator: User | None = None

    @property
    def channel(self) -> str:
        return "enumerator" if self.kind == "staff" else "api"


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def field_problem(field: str, message: str) -> HTTPException:
    """422 in the API's validation-list shape, naming one top-level field."""
    return HTTPException(
        status_code=422,
        detail=[{"loc": ["body", field], "msg": f"{field}: {message}", "type": "value_error"}],
    )


def resolve_credential(
    *,
    request: Request,
    session: Session,
    settings: Settings,
    link: str | None,
    invitation: str | None,
    wave_code: str | None,
    community_code: str | None,
) -> Credential:
    """The credential of a request, checked against the body's ``wave`` and ``community``.

    401: none, or one that is not valid (tampered link, unknown code, bad token); 403: a staff
    role that may not enter answers or a community outside the enumerator's scope, an open
    link to an invitation-mode wave and an invitation code for an open-mode wave; 422: two
    credentials, or a body field that disagrees.
    """
    token = bearer_token(request)
    given = [name for name, v in (("link", link), ("invitation", invitation)) if v]
    if token is not None:
        given.append("Authorization")
    if not given:
        raise _unauthorized(NO_CREDENTIAL)
    if len(given) > 1:
        raise field_problem(given[1], f"send one credential, not {' and '.join(given)}")
    if link:
        credential = _from_link(session, settings, link)
    elif invitation:
        credential = _from_invitation(session, invitation)
    else:
        assert token is not None
        credential = _from_staff(session, token, wave_code, community_code)
    if wave_code is not None and wave_code != credential.wave.code:
        raise field_problem(
            "wave", f"the credential is for wave {credential.wave.code!r}, not {wave_code!r}"
        )
    if community_code is not None and community_code != credential.community.code:
        raise field_problem(
            "community",
            f"the credential is for community {credential.community.code!r}, "
            f"not {community_code!r}; leave the field out or send the right one",
        )
    return credential


def _from_link(session: Session, settings: Settings, link: str) -> Credential:
    try:
        wave_code, community_code = read_open_link(secret=settings.secret_key, token=link)
        # Detached read-only instances, both rows in one driver-level query
        # (survey/storage/intake_reads.py): the ORM load of the two rows, then two Core
        # statements, were a tenth of a submission's time (P5 profiles).
        wave, community = read_wave_and_community(
            session=session, wave_code=wave_code, community_code=community_code
        )
    except AccessError:
        raise _unauthorized("link is not valid: it was changed or cut short") from None
    except NotFoundError:
        raise _unauthorized("link is not valid: its wave or community no longer exists") from None
    if wave.access_mode == "invitation":
        raise HTTPException(
            status_code=403,
            detail=f"wave {wave.code} is answered by invitation code only: send 'invitation'",
        )
    return Credential("link", wave, community)


def _from_invitation(session: Session, code: str) -> Credential:
    try:
        invitation = find_invitation(session=session, code=code)
    except AccessError as error:
        raise _unauthorized(f"invitation: {error}") from None
    wave = session.get(Wave, invitation.wave_id)
    community = session.get(Community, invitation.community_id)
    assert wave is not None and community is not None  # foreign keys
    try:
        require_invitation_mode(wave)
    except AccessError as error:
        raise HTTPException(status_code=403, detail=f"{error}: send 'link'") from None
    return Credential("invitation", wave, community, invitation=invitation)


def _from_staff(
    session: Session, token: str, wave_code: str | None, community_code: str | None
) -> Credential:
    user = resolve_token(session=session, token=token, cached=True)
    if user is None:
        raise _unauthorized("invalid or expired token")
    if user.role not in ENTRY_ROLES:
        raise HTTPException(
            status_code=403,
            detail=f"a {user.role} may not enter answers; only {', '.join(ENTRY_ROLES)}",
        )
    if wave_code is None:
        raise field_problem("wave", "required when an enumerator enters answers")
    if community_code is None:
        raise field_problem("community", "required when an enumerator enters answers")
    wave = get_wave(session=session, code=wave_code)  # 404 when unknown
    try:
        community = get_community(session=session, code=community_code)
    except NotFoundError:
        raise field_problem("community", f"no community with code {community_code!r}") from None
    if not Scope.of(user).allows_community(community.code, street_code_of(session, community)):
        raise HTTPException(
            status_code=403,
            detail=f"community {community.code} is outside your scope; "
            "an enumerator enters answers only for their own street or community",
        )
    return Credential("staff", wave, community, enumerator=user)
