"""Database tables (SQLModel), one model family per entity.

Answers are stored twice in one row, on purpose: ``answers`` (JSON) is the faithful record of what
the resident submitted, used for exports and audits; ``numeric`` is a packed little-endian int16
vector in the questionnaire version's ``numeric_codes()`` order (−1 = no answer), so that "wave →
numeric matrix" is one ``SELECT`` of small blobs and one ``numpy.frombuffer`` instead of parsing a
million JSON documents or pivoting a long answer table (see docs/storage.md).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
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
    # The community's grids (网格) from the register, in the register's order: the choices of
    # the residents' grid question (survey/grids.py); empty: the question stays free text.
    grids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
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
    # Which quality rules keep a response out of the index (docs/methods.md §10); stored with
    # the wave so every snapshot of it applies the same, stated policy. {} = the default policy.
    exclusion_policy: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )


class Response(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(index=True, unique=True, max_length=64)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id")
    # The server's time of the first page view or draft (never the client's clock).
    started_at: datetime | None = None
    # What the client said; kept for research, ignored by every quality rule.
    client_started_at: datetime | None = None
    submitted_at: datetime = Field(default_factory=utcnow)
    duration_s: float | None = None
    channel: str = Field(default="api", max_length=16)  # api | web | enumerator | paper | synthetic
    # The staff account (网格员/volunteer) that entered the answers; None for residents.
    enumerator_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    # Keyed hash of the client address, rotated per wave (survey/storage/sources.py): lets the
    # duplicate and ballot-stuffing checks compare addresses without storing any.
    source_hash: str = Field(default="", max_length=32)
    # Hash of the canonical answers: an identical retry is recognised without re-comparing JSON.
    payload_hash: str = Field(max_length=64)
    quality_flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    numeric: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class SuspectBatch(SQLModel, table=True):
    """A burst of near-identical answers to one community (possible ballot stuffing).

    Found by ``scoring.stuffing``; an admin quarantines it (its responses are excluded from
    scoring, never deleted) or clears it. ``response_ids`` and ``evidence`` are what was found.
    """

    __tablename__ = "suspect_batch"
    __table_args__ = (UniqueConstraint("wave_id", "community_id", "first_response_id"),)
    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    community_id: int = Field(foreign_key="community.id")
    first_response_id: int
    status: str = Field(default="flagged", max_length=16)  # flagged | quarantined | cleared
    response_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    found_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by: str = Field(default="", max_length=64)


class RateCounter(SQLModel, table=True):
    """One fixed window of a rate limit (api/web/ratelimit.py): shared by every server process.

    ``bucket`` is the route family and a keyed hash of the client address, never the address.
    """

    __tablename__ = "rate_counter"
    bucket: str = Field(primary_key=True, max_length=64)
    window: int = Field(primary_key=True)  # window start, in whole seconds since the epoch
    hits: int = Field(default=0)


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
    # The job that wrote it; unique, so a job retried after a crash can never store twice.
    job_id: int | None = Field(default=None, unique=True, index=True)


class ScoreJob(SQLModel, table=True):
    """A scoring run waiting for, or done by, a worker (``api.services.jobs``).

    ``status``: queued → running → done, or back to queued after a failure or an expired lease
    (a killed worker), and ``dead`` after ``max_attempts``. A running job belongs to the worker
    holding ``lease_token`` until ``lease_expires_at``; the worker extends the lease while it
    computes, and only the holder of a live lease can mark the job done.
    """

    __tablename__ = "score_job"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # snapshot | close (the final snapshot) | scan (stuffing)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    model_name: str | None = Field(default=None, max_length=64)
    bootstrap: int
    actor: str = Field(max_length=64)
    status: str = Field(default="queued", max_length=16, index=True)
    attempts: int = 0
    max_attempts: int = 3
    lease_token: str | None = Field(default=None, max_length=32)
    lease_expires_at: datetime | None = None
    stage: str = Field(default="queued", max_length=32)
    progress_done: int = 0
    progress_total: int = 0
    snapshot_id: int | None = Field(default=None, foreign_key="score_snapshot.id")
    error: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


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
    role: str = Field(max_length=16)  # admin | researcher | official | enumerator
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


class StaffSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random id, the table only its SHA-256.

    Checked on every request, so signing out (``revoked_at``) or changing the password (every
    session of the user revoked) ends the session at once, even for a copied cookie.
    """

    __tablename__ = "staff_session"
    id: int | None = Field(default=None, primary_key=True)
    id_hash: str = Field(index=True, unique=True, max_length=64)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = Field(default=None)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins in the current burst of one address, or of one (address, account) pair.

    ``key`` is a SHA-256 of the kind and the address (and username), so the table holds no
    address in clear. ``audit_id`` is the burst's one ``login_failed`` audit row, whose count
    grows with the burst.
    """

    __tablename__ = "login_throttle"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=64)
    window_start: datetime = Field(default_factory=utcnow)
    failures: int = Field(default=0)
    audit_id: int | None = Field(default=None)


class Action(SQLModel, table=True):
    """An action plan (整改事项) of one community or one street, answering what residents said.

    Never deleted: an action that will not happen is ``cancelled``. ``codes`` are the
    sub-dimension or item codes it addresses (``["D3.2"]``); ``wave_code`` is the wave whose
    results it answers ("" = none named). Every change is an audit event
    (``survey.storage.actions``) and, when the status or a note changes, an :class:`ActionNote`.
    """

    __tablename__ = "action"
    id: int | None = Field(default=None, primary_key=True)
    scope_level: str = Field(max_length=16)  # community | street
    scope_code: str = Field(index=True, max_length=32)
    title: str = Field(max_length=200)
    codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    owner: str = Field(default="", max_length=100)
    start_date: date | None = None
    due_date: date | None = None
    # planned | in_progress | done | cancelled (计划中 / 进行中 / 已完成 / 已取消)
    status: str = Field(default="planned", max_length=16, index=True)
    completed_at: datetime | None = None
    budget: float | None = None  # yuan
    theme: str = Field(default="", max_length=64)  # the free-text theme it answers, if any
    wave_code: str = Field(default="", max_length=32)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ActionNote(SQLModel, table=True):
    """A dated progress note of an action; ``status_after`` is the action's status once written."""

    __tablename__ = "action_note"
    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    note: str = Field(default="", max_length=2000)
    status_after: str = Field(max_length=16)
    author: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class ThemeModelRecord(SQLModel, table=True):
    """A published theme model (急难愁盼 themes): versioned and immutable like a weight model.

    ``definition`` holds the frozen model (``scoring.themes.ThemeFit.to_dict()``: vocabulary,
    idf, components), the researchers' labels per theme (``{"0": {"zh": …, "en": …}}``), the
    wave it was fitted on and the number of themes. Relabelling stores a new version.
    """

    __tablename__ = "theme_model"
    __table_args__ = (UniqueConstraint("name", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, index=True)
    version: int
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    author: str = Field(default="system", max_length=64)
    status: str = Field(default="published", max_length=16)  # published | retired
    created_at: datetime = Field(default_factory=utcnow)
