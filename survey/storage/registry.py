"""Look-ups and creation of the district's reference data: streets, communities, waves and
questionnaire versions. Look-ups raise :class:`NotFoundError` once, so callers need not check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, select

from survey.errors import ImmutableError, NotFoundError
from survey.storage.models import Community, QuestionnaireRecord, Response, Street, Wave

if TYPE_CHECKING:
    from survey.questionnaire.model import Questionnaire


def get_wave(*, session: Session, code: str) -> Wave:
    wave = session.exec(select(Wave).where(Wave.code == code)).first()
    if wave is None:
        raise NotFoundError(f"no survey wave with code {code!r}")
    return wave


def get_community(*, session: Session, code: str) -> Community:
    community = session.exec(select(Community).where(Community.code == code)).first()
    if community is None:
        raise NotFoundError(f"no community with code {code!r}")
    return community


# Read-only look-ups for the hot request paths (every scorecard, ranking and submission): one
# prepared Core statement and a detached instance instead of an ORM query, which costs about
# twice as much on SQLite (PERFORMANCE.md P5/P7). The row is read fresh on every call (a
# wave's status must be current: a closed wave refuses submissions at once); only the
# statement is reused. The instance is not in the session: read it, do not modify it (use
# get_wave/get_community for that).
_WAVES: Any = Wave.__table__  # type: ignore[attr-defined]
_COMMUNITIES: Any = Community.__table__  # type: ignore[attr-defined]
_WAVE_BY_CODE = sa_select(*_WAVES.c).where(_WAVES.c.code == bindparam("code"))
_COMMUNITY_BY_CODE = sa_select(*_COMMUNITIES.c).where(_COMMUNITIES.c.code == bindparam("code"))


def read_wave(*, session: Session, code: str) -> Wave:
    """Like :func:`get_wave`, for reading only (a detached instance, see above)."""
    row = session.connection().execute(_WAVE_BY_CODE, {"code": code}).mappings().first()
    if row is None:
        raise NotFoundError(f"no survey wave with code {code!r}")
    wave = Wave(**row)
    make_transient_to_detached(wave)
    return wave


def read_community(*, session: Session, code: str) -> Community:
    """Like :func:`get_community`, for reading only (a detached instance, see above)."""
    row = session.connection().execute(_COMMUNITY_BY_CODE, {"code": code}).mappings().first()
    if row is None:
        raise NotFoundError(f"no community with code {code!r}")
    community = Community(**row)
    make_transient_to_detached(community)
    return community


def get_street(*, session: Session, code: str) -> Street:
    street = session.exec(select(Street).where(Street.code == code)).first()
    if street is None:
        raise NotFoundError(f"no street with code {code!r}")
    return street


def response_counts(*, session: Session) -> dict[int, int]:
    """Stored responses per wave id (waves without any are absent)."""
    rows = session.exec(
        select(Response.wave_id, func.count()).group_by(Response.wave_id)  # type: ignore[arg-type]
    ).all()
    return {int(wave_id): int(n) for wave_id, n in rows}


def list_waves(*, session: Session) -> list[Wave]:
    return list(session.exec(select(Wave).order_by(Wave.code)).all())


# Parsed definitions by definition hash: a definition never changes under its hash, so every
# request shares one parsed model instead of re-validating ~30 KB of JSON per submission.
_PARSED: dict[str, Questionnaire] = {}
_PARSED_MAX = 64


def questionnaire_of(record: QuestionnaireRecord) -> Questionnaire:
    parsed = _PARSED.get(record.definition_hash)
    if parsed is None:
        from survey.questionnaire.model import Questionnaire

        parsed = Questionnaire.model_validate(record.definition)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[record.definition_hash] = parsed
    return parsed


_QUESTIONNAIRES: Any = QuestionnaireRecord.__table__  # type: ignore[attr-defined]
_QUESTIONNAIRE_HASH = sa_select(_QUESTIONNAIRES.c.definition_hash).where(
    _QUESTIONNAIRES.c.id == bindparam("id")
)


def questionnaire_for_wave(*, session: Session, wave: Wave) -> Questionnaire:
    # Only the hash is read while the parsed model is cached: loading the definition column
    # (and decoding its JSON) on every submission cost ~1 ms (P5).
    digest = (
        session.connection()
        .execute(_QUESTIONNAIRE_HASH, {"id": wave.questionnaire_id})
        .scalar_one_or_none()
    )
    if digest is None:  # pragma: no cover - the foreign key forbids it
        raise NotFoundError(f"wave {wave.code!r} has no questionnaire")
    parsed = _PARSED.get(digest)
    if parsed is not None:
        return parsed
    record = session.get(QuestionnaireRecord, wave.questionnaire_id)
    assert record is not None
    return questionnaire_of(record)


def store_questionnaire(
    *, session: Session, questionnaire: Questionnaire, published: bool = True
) -> QuestionnaireRecord:
    """Store a questionnaire version; storing a published version again must not change it."""
    definition = questionnaire.model_dump(mode="json")
    digest = questionnaire.definition_hash()
    existing = session.exec(
        select(QuestionnaireRecord).where(
            QuestionnaireRecord.slug == questionnaire.slug,
            QuestionnaireRecord.version == questionnaire.version,
        )
    ).first()
    if existing is not None:
        if existing.definition_hash != digest:
            if existing.published:
                raise ImmutableError(
                    f"questionnaire {questionnaire.slug} v{questionnaire.version} is published "
                    "and cannot change; publish the changes as a new version"
                )
            existing.definition = definition
            existing.definition_hash = digest
        existing.published = existing.published or published
        session.add(existing)
        session.flush()
        return existing
    record = QuestionnaireRecord(
        slug=questionnaire.slug,
        version=questionnaire.version,
        definition=definition,
        definition_hash=digest,
        published=published,
    )
    session.add(record)
    session.flush()
    return record


def upsert_street(*, session: Session, code: str, name: str) -> Street:
    street = session.exec(select(Street).where(Street.code == code)).first()
    if street is None:
        street = Street(code=code, name=name)
    street.name = name
    session.add(street)
    session.flush()
    return street


def upsert_community(
    *,
    session: Session,
    code: str,
    name: str,
    street: Street,
    housing_type: str = "",
    population: int = 0,
    margins: dict[str, Any] | None = None,
) -> Community:
    community = session.exec(select(Community).where(Community.code == code)).first()
    if community is None:
        community = Community(code=code, name=name, street_id=street.id or 0)
    community.name = name
    community.street_id = street.id or 0
    community.housing_type = housing_type
    community.population = population
    community.margins = dict(margins or {})
    session.add(community)
    session.flush()
    return community
