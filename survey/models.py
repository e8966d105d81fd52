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


class Community(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=32)
    name: str = Field(max_length=100)
    street_id: int = Field(foreign_key="street.id", index=True)
    housing_type: str = Field(default="", max_length=32)
    population: int = Field(default=0)
    # {"60-69|female": 1234, ...}: population by age band × gender, for raking.
    margins: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


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


class Wave(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=32)
    questionnaire_id: int = Field(foreign_key="questionnaire.id")
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    status: str = Field(default="open", max_length=16)  # open | closed
    access_mode: str = Field(default="open", max_length=16)  # open | invitation
    default_model: str = Field(default="equal", max_length=64)


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
