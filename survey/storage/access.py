"""Who may answer which wave for which community: signed open links and invitation codes.

The server, never the form, decides the community. An **open link** (``access_mode = "open"``)
carries the wave and community codes signed with the deployment's secret, so a resident who edits
the link gets a refusal instead of answering for another community. An **invitation code**
(``access_mode = "invitation"``) is a random single-use code printed on a slip for one community
in one wave. Each wave takes one of the two: a code for an open wave is refused, as is a link to
an invitation wave.

Codes are 16 characters from a 32-letter alphabet without look-alikes (80 bits of entropy). Only
``sha256(code)`` is stored: with 2**80 possible codes nobody can enumerate them from a copied
database, so a slow password hash (argon2) would add nothing but latency, and a plain digest
keeps the look-up a single indexed equality. The code is shown once, when the slips are made.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update
from sqlmodel import Session, select

from survey.errors import ConflictError, SurveyError
from survey.storage.models import Community, Invitation, Wave

OPEN_LINK_SALT = "meihao.open-link"
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed by elders
CODE_LENGTH = 16
MAX_BATCH = 5000
_SEPARATORS = re.compile(r"[\s\-_.]+")


class AccessError(SurveyError):
    """A link or code that does not open this survey; ``reason`` names the case for the page."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class InvitationUsedError(ConflictError):
    """The invitation code already carried a response (codes are single use)."""

    reason = "code_used"


class WaveNotAcceptingError(ConflictError):
    """The wave is closed, or not open yet; ``reason`` is ``"closed"`` or ``"not_open"``."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# -- open links -------------------------------------------------------------------------------


def open_link_token(*, secret: str, wave_code: str, community_code: str) -> str:
    """The signed, URL-safe token of a community's open link (no expiry: closing the wave ends
    it, so printed posters stay valid for the whole wave)."""
    return URLSafeSerializer(secret, salt=OPEN_LINK_SALT).dumps([wave_code, community_code])


def read_open_link(*, secret: str, token: str) -> tuple[str, str]:
    """``(wave_code, community_code)`` of a token; ``AccessError`` if it was altered."""
    try:
        data = URLSafeSerializer(secret, salt=OPEN_LINK_SALT).loads(token)
    except BadSignature:
        raise AccessError(
            "this survey link is not valid (it was changed or cut short); scan the QR code again",
            "bad_link",
        ) from None
    if (
        not isinstance(data, list)
        or len(data) != 2
        or not all(isinstance(part, str) and part for part in data)
    ):
        raise AccessError("this survey link is not valid", "bad_link")
    return data[0], data[1]


# -- invitation codes -------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``ABCD-EFGH-JKLM-NPQR``: groups of four are easier to read out and type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(text: str) -> str:
    """The canonical code: separators and spaces removed, upper case; ``AccessError`` when the
    text cannot be a code (a typo is reported as such, before any database look-up)."""
    code = _SEPARATORS.sub("", text or "").upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        raise AccessError(
            f"an invitation code has {CODE_LENGTH} letters and digits, e.g. "
            "ABCD-EFGH-JKLM-NPQR; check the slip",
            "bad_code",
        )
    return code


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode("ascii")).hexdigest()


def create_invitations(
    *, session: Session, wave: Wave, community: Community, count: int, batch: str = ""
) -> list[str]:
    """Make ``count`` codes for one community in one wave; returns the plain codes (shown once).

    Flushes; the caller commits, so a failed batch stores no code at all.
    """
    if not 1 <= count <= MAX_BATCH:
        raise AccessError(f"count must be between 1 and {MAX_BATCH}, got {count}", "bad_count")
    assert wave.id is not None and community.id is not None
    codes = [new_code() for _ in range(count)]
    now = datetime.now(UTC)
    for code in codes:
        session.add(
            Invitation(
                token_hash=hash_code(code),
                wave_id=wave.id,
                community_id=community.id,
                batch=batch[:32],
                created_at=now,
            )
        )
    session.flush()
    return codes


def find_invitation(*, session: Session, code: str) -> Invitation:
    digest = hash_code(code)
    invitation = session.exec(select(Invitation).where(Invitation.token_hash == digest)).first()
    if invitation is None:
        raise AccessError("no invitation has this code; check the slip", "unknown_code")
    return invitation


def require_invitation_mode(wave: Wave) -> None:
    """Refuse a code for a wave answered through its open links: codes and links never mix in
    one wave (an invitation-mode wave refuses links the same way), so a stack of slips cannot
    add answers beside the poster's, nor a poster beside the slips' sample."""
    if wave.access_mode != "invitation":
        raise AccessError(
            f"wave {wave.code} is answered through its open link (the QR poster), "
            "not by invitation code",
            "open_wave",
        )


def check_invitation(
    *, session: Session, code: str, wave: Wave, community: Community
) -> Invitation:
    """The unused invitation ``code`` for exactly this wave and community, or a refusal."""
    invitation = find_invitation(session=session, code=code)
    if invitation.wave_id != wave.id:
        raise AccessError("this invitation code is for another survey wave", "other_wave")
    if invitation.community_id != community.id:
        raise AccessError("this invitation code is for another community", "other_community")
    if invitation.used_at is not None:
        raise InvitationUsedError("this invitation code was already used for a response")
    return invitation


def claim_invitation(*, session: Session, invitation_id: int) -> None:
    """Mark the code used, inside the caller's transaction; ``InvitationUsedError`` if it was.

    A conditional ``UPDATE … WHERE used_at IS NULL`` rather than read-then-write, so two phones
    submitting with the same code at the same moment cannot both succeed. The caller commits it
    together with the response, or rolls both back.
    """
    result = session.exec(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.used_at.is_(None))  # type: ignore[arg-type,union-attr]
        .values(used_at=datetime.now(UTC))
    )
    if result.rowcount != 1:
        raise InvitationUsedError("this invitation code was already used for a response")


def link_invitation(*, session: Session, invitation_id: int, response_id: int) -> None:
    """Record which response used the code (for audits; ``used_at`` alone enforces single use)."""
    session.exec(
        update(Invitation).where(Invitation.id == invitation_id).values(response_id=response_id)  # type: ignore[arg-type]
    )
    session.commit()


def invitation_counts(*, session: Session, wave: Wave, community: Community) -> tuple[int, int]:
    """``(codes made, codes used)`` for one community in one wave."""
    rows = session.exec(
        select(Invitation.used_at).where(
            Invitation.wave_id == wave.id, Invitation.community_id == community.id
        )
    ).all()
    return len(rows), sum(1 for used in rows if used is not None)


# -- the wave's own state ---------------------------------------------------------------------


def check_accepting(wave: Wave, now: datetime | None = None) -> None:
    """Raise ``WaveNotAcceptingError`` unless ``wave`` takes new responses at ``now`` (the
    schedule counts: a wave opens and closes by itself at its dates, see storage/waves.py)."""
    from survey.storage.waves import effective_status, window_text

    status = effective_status(wave, now)
    if status == "closed":
        raise WaveNotAcceptingError(
            f"survey wave {wave.code} is closed and accepts no more responses "
            f"(survey period {window_text(wave)})",
            "closed",
        )
    if status != "open":
        raise WaveNotAcceptingError(
            f"survey wave {wave.code} has not opened yet (survey period {window_text(wave)})",
            "not_open",
        )
