"""Database tables (SQLModel), one model family per entity.

Answers are stored twice in one row, on purpose: ``answers`` (JSON) is the faithful record of what
the resident submitted, used for exports and audits; ``numeric`` is a packed little-endian int16
vector in the questionnaire version's ``numeric_codes()`` order (−1 = no answer), so that "wave →
numeric matrix" is one ``SELECT`` of small blobs and one ``numpy.frombuffer`` instead of parsing a
million JSON documents or pivoting a long answer table (see docs/storage.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Street(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=32)
    name: str = Field(max_length=100)
    # Changes only when an import changes the street (a re-import of the same file leaves it).
    updated_at: datetime = Field(default_factory=utcnow)


class Community(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=32)
    name: str = Field(max_length=100)
    street_id: int = Field(foreign_key="street.id", index=True)
    housing_type: str = Field(default="", max_length=32)
    population: int = Field(default=0)
    # {"60-69|female": 1234, ...}: population by age band × gender, for raking.
    margins: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Lineage after a merger or split: [{"code": "C01", "share": 0.4}, ...]; share = the part of
    # that predecessor's population that came here (1 when the whole predecessor merged in).
    predecessors: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # Set when the community left the register: it keeps its history but gets no new posters.
    retired_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class QuestionnaireRecord(SQLModel, table=True):
    __tablename__ = "questionnaire"
    __table_args__ = (UniqueConstraint("slug", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64)
    version: int
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    definition_hash: str = Field(max_length=64)
    published: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None


class Wave(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=32)
    questionnaire_id: int = Field(foreign_key="questionnaire.id")
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    # scheduled (opens by itself at opens_at) | open | closed
    status: str = Field(default="open", max_length=16)
    access_mode: str = Field(default="open", max_length=16)  # open | invitation
    default_model: str = Field(default="equal", max_length=64)
    # Which responses are left out of scoring; None = the default policy ("none" = keep all).
    exclusion_policy: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class Response(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(index=True, unique=True, max_length=64)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id")
    started_at: datetime | None = None
    submitted_at: datetime = Field(default_factory=utcnow)
    duration_s: float | None = None
    channel: str = Field(default="api", max_length=16)  # api | web | paper | synthetic
    # Hash of the canonical answers: an identical retry is recognised without re-comparing JSON.
    payload_hash: str = Field(max_length=64)
    quality_flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    numeric: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class WeightModelRecord(SQLModel, table=True):
    __tablename__ = "weight_model"
    __table_args__ = (UniqueConstraint("name", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, index=True)
    version: int
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    author: str = Field(default="system", max_length=64)
    status: str = Field(default="published", max_length=16)  # published | retired
    created_at: datetime = Field(default_factory=utcnow)


class ScoreSnapshot(SQLModel, table=True):
    __tablename__ = "score_snapshot"
    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    model_name: str = Field(max_length=64)
    model_version: int
    data_hash: str = Field(max_length=64)
    computed_at: datetime = Field(default_factory=utcnow)
    results: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=128)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Invitation(SQLModel, table=True):
    """A single-use invitation code for one community in one wave (``access_mode = "invitation"``).

    Only the SHA-256 of the code is stored: codes are random with ≥ 80 bits of entropy, so a fast
    hash is enough (no dictionary to attack) and lets the server find a code by one indexed lookup.
    """

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    batch: str = Field(default="", max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = None
    response_id: int | None = Field(default=None, foreign_key="response.id")


class Draft(SQLModel, table=True):
    """Answers in progress, keyed by the form's client id: a reload or a phone call loses nothing.

    ``started_at`` is when the form was first served: the server-side duration of a response is
    measured from it, never from a clock the client controls.
    """

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(index=True, unique=True, max_length=64)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    community_id: int = Field(foreign_key="community.id")
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id")
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    page: int = Field(default=0)
    # Intake signals seen while the form was filled ("honeypot", "restarted"), applied at submit.
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    started_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class User(SQLModel, table=True):
    """A staff account (admin, researcher or official); residents never have one.

    The table is ``staff_user`` because ``user`` is a reserved word in PostgreSQL and would need
    quoting in every hand-written query.
    """

    __tablename__ = "staff_user"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    password_hash: str = Field(max_length=255)  # argon2id, in the PHC string format
    role: str = Field(max_length=16)  # admin | researcher | official
    scope_level: str = Field(default="district", max_length=16)  # district | street | community
    scope_code: str = Field(default="", max_length=32)  # street or community code; "" = district
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    """A bearer token for notebooks and scripts, shown once and stored only as its SHA-256.

    The token is 32 random bytes (256 bits): nobody can enumerate or guess it, so a slow password
    hash would add nothing; a fast hash keeps the look-up to one indexed equality and still means
    a copy of the database holds no usable token.
    """

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    name: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
