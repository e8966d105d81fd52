"""The weight-model lifecycle: publish (versioned, immutable), retire, make a wave's default.

A published version never changes: publishing a name again stores version + 1, and a model
whose weights depend on the data (entropy, CRITIC, PCA, derived importance, or a combination
using one) is resolved against a named wave at publish time and stored frozen
(:meth:`scoring.weight_model.WeightModel.freeze`), so a trend line scored with it can never
move because the set of communities changed. Every action leaves an audit event naming its
author. Retired versions stay readable, so old snapshots can be reproduced.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.services.bridge import RANDOM_STATE, score_matrix
from api.services.snapshot_store import find_snapshot_or_none
from api.services.snapshots import compute_snapshot
from api.services.weight_models import load_weight_model
from scoring.errors import ScoringError, WeightModelError
from scoring.framework import Framework
from scoring.weight_model import BUILTIN_MODELS, WeightModel, builtin_model
from survey.errors import ConflictError, ImmutableError, NotFoundError, SurveyError
from survey.questionnaire.model import load_default
from survey.storage.matrix import load_wave_matrix
from survey.storage.models import AuditEvent, ScoreSnapshot, Wave, WeightModelRecord
from survey.storage.registry import get_wave, questionnaire_for_wave

# What the registry raises for input it refuses (an unknown name, a model that does not check
# out against the questionnaire): callers outside api.services catch these without importing
# scoring (the import contracts in pyproject.toml).
INPUT_ERRORS: tuple[type[Exception], ...] = (SurveyError, ScoringError)

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PUBLISHED, RETIRED = "published", "retired"
# pydantic checks the dataclass's annotated field types (scoring itself stays pydantic-free).
_MODEL_ADAPTER = TypeAdapter(WeightModel)


def record_dict(record: WeightModelRecord) -> dict[str, Any]:
    """The API shape of a stored version (its full definition included)."""
    definition = record.definition
    if "version" in definition:  # older definitions hold it as a string ("2")
        definition = {**definition, "version": record.version}
    return {
        "name": record.name,
        "version": record.version,
        "status": record.status,
        "builtin": False,
        "author": record.author,
        "created_at": record.created_at,
        "description": definition.get("description", ""),
        "preset": definition.get("preset", "ptm"),
        "frozen_from": definition.get("frozen_from"),
        "definition": definition,
    }


def builtin_dict(name: str) -> dict[str, Any]:
    model = builtin_model(name)
    return {
        "name": model.name,
        "version": model.version,
        "status": "builtin",
        "builtin": True,
        "author": "system",
        "created_at": None,
        "description": model.description,
        "preset": model.preset,
        "frozen_from": None,
        "definition": model.to_dict(),
    }


def list_models(*, session: Session, status: str | None = None) -> list[dict[str, Any]]:
    """Built-in models first, then every stored version (by name, then version)."""
    query = select(WeightModelRecord).order_by(
        col(WeightModelRecord.name), col(WeightModelRecord.version)
    )
    if status is not None:
        query = query.where(WeightModelRecord.status == status)
    out = [builtin_dict(n) for n in BUILTIN_MODELS] if status in (None, "builtin") else []
    if status != "builtin":
        out += [record_dict(r) for r in session.exec(query).all()]
    return out


def _versions(session: Session, name: str) -> list[WeightModelRecord]:
    return list(
        session.exec(
            select(WeightModelRecord)
            .where(WeightModelRecord.name == name)
            .order_by(col(WeightModelRecord.version))
        ).all()
    )


def get_record(*, session: Session, name: str, version: int) -> WeightModelRecord:
    record = session.exec(
        select(WeightModelRecord).where(
            WeightModelRecord.name == name, WeightModelRecord.version == version
        )
    ).first()
    if record is None:
        raise NotFoundError(f"no weight model {name!r} version {version}")
    return record


def get_model(*, session: Session, name: str, version: int | None = None) -> dict[str, Any]:
    """One version (the latest published one, else the latest, when ``version`` is None),
    with the list of all versions of the name."""
    if name in BUILTIN_MODELS:
        out = builtin_dict(name)
        if version is not None and version != out["version"]:
            raise NotFoundError(f"built-in model {name!r} has only version {out['version']}")
        return {**out, "versions": [_version_line(out)]}
    versions = _versions(session, name)
    if not versions:
        raise NotFoundError(f"no weight model {name!r}")
    if version is None:
        published = [r for r in versions if r.status == PUBLISHED]
        chosen = (published or versions)[-1]
    else:
        chosen = get_record(session=session, name=name, version=version)
    return {**record_dict(chosen), "versions": [_version_line(record_dict(r)) for r in versions]}


def _version_line(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in ("version", "status", "author", "created_at")}


def framework_for(session: Session, wave: Wave | None) -> Framework:
    """The index tree a model is checked against: the wave's questionnaire, else the latest
    wave's, else the shipped default (a model must fit the questionnaire it will score)."""
    if wave is None:
        wave = session.exec(select(Wave).order_by(col(Wave.id).desc())).first()
    if wave is None:
        return default_framework()
    return Framework.from_dict(questionnaire_for_wave(session=session, wave=wave).framework_dict())


def default_framework() -> Framework:
    """The index tree of the shipped default questionnaire (no database needed)."""
    return Framework.from_dict(load_default().framework_dict())


def resolve_on_wave(
    session: Session, model: WeightModel, wave: Wave, framework: Framework
) -> WeightModel:
    """The model frozen at the dimension weights it gives on ``wave`` (how and on what data
    they were obtained is kept in ``frozen_from["resolved_on"]``)."""
    from api.services.exclusions import flags_of, policy_of
    from api.services.snapshots import mark_quarantined

    matrix = load_wave_matrix(session=session, wave_code=wave.code)
    mark_quarantined(session=session, wave=wave, matrix=matrix)
    # Same data path, exclusion policy and seed as a snapshot, so the frozen weights are those
    # a snapshot of this wave would have resolved; no bootstrap: only point estimates matter.
    result = score_matrix(
        matrix,
        framework,
        model,
        bootstrap=0,
        random_state=RANDOM_STATE,
        node_se="none",
        diagnostics=False,
        exclusion_policy=policy_of(wave),
        quality_flags=flags_of(matrix, framework),
    )
    frozen = model.freeze(result.dimension_weights, framework)
    assert frozen.frozen_from is not None
    frozen.frozen_from["resolved_on"] = json.loads(
        json.dumps(
            {
                "wave": wave.code,
                "data_sha256": result.provenance.get("data_sha256"),
                "weights_info": result.weights_info,
            },
            default=float,
        )
    )
    return frozen


def parse_model(definition: Any) -> WeightModel:
    """A :class:`WeightModel` from untrusted JSON, every top-level field type-checked.

    The posted ``version`` is dropped: the server assigns versions. Raises
    :class:`WeightModelError` naming the field.
    """
    if not isinstance(definition, dict):
        raise WeightModelError("the weight model must be a JSON object")
    fields = {k: v for k, v in definition.items() if k != "version"}
    WeightModel.from_dict(fields)  # unknown fields and a missing name, in scoring's words
    try:
        model = _MODEL_ADAPTER.validate_python(fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise WeightModelError(f"invalid weight model: {problems}") from None
    for band in model.grade_bands:
        if (
            len(band) != 2
            or not isinstance(band[0], str)
            or not (band[1] is None or isinstance(band[1], int | float))
        ):
            raise WeightModelError(f"grade_bands: each band is [label, lower bound], not {band!r}")
    return model


def check_model(definition: Any, framework: Framework) -> WeightModel:
    """The parsed model when ``definition`` is publishable against ``framework`` (its name
    allowed and not a built-in one, every field and weight valid); nothing is stored.

    Raises :class:`WeightModelError` saying what is wrong.
    """
    model = parse_model(definition)
    if not NAME_PATTERN.match(model.name):
        raise WeightModelError(
            f"weight model name {model.name!r}: 1–64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if model.name in BUILTIN_MODELS:
        raise WeightModelError(
            f"{model.name!r} is a built-in model and cannot be republished; choose another name"
        )
    try:
        model.validate(framework)
    except ScoringError:
        raise
    except (TypeError, ValueError, AttributeError, IndexError) as exc:
        # Method specs (AHP matrices, weights inside a spec) are free-form JSON that scoring
        # checks by shape and value; a wrong type inside one surfaces as one of these.
        raise WeightModelError(f"invalid weight model: {exc}") from None
    return model


def publish_model(
    *, session: Session, definition: dict[str, Any], author: str, resolve_wave: str | None = None
) -> WeightModelRecord:
    """Validate and store ``definition`` as the next version of its name; commits.

    Raises :class:`WeightModelError` (→ 422) for an invalid model or name, a data-driven model
    without ``resolve_wave``, and :class:`ConflictError` (→ 409) when another publication of
    the same name won the race for the version number.
    """
    wave = None if resolve_wave is None else get_wave(session=session, code=resolve_wave)
    framework = framework_for(session, wave)
    model = check_model(definition, framework)
    if model.is_data_driven:
        if wave is None:
            raise WeightModelError(
                "these weights depend on the set of communities (entropy, CRITIC, PCA or "
                "derived importance): name the wave to resolve them on (resolve_wave), and "
                "the published model stores the resolved weights, frozen"
            )
        model = resolve_on_wave(session, model, wave, framework)
    versions = _versions(session, model.name)
    version = (versions[-1].version if versions else 0) + 1
    model.version = version
    record = WeightModelRecord(
        name=model.name,
        version=version,
        definition=model.to_dict(),
        author=author,
        status=PUBLISHED,
    )
    session.add(record)
    session.add(
        AuditEvent(
            actor=author,
            action="publish_weight_model",
            target=model.key,
            detail={
                "name": model.name,
                "version": version,
                "resolve_wave": resolve_wave,
                "frozen": model.frozen_from is not None,
            },
        )
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError(
            f"another version of {model.name!r} was published at the same moment; try again"
        ) from None
    session.refresh(record)
    return record


def refuse_change(*, session: Session, name: str, version: int) -> None:
    """Published versions are immutable: always raises (404 if the version does not exist)."""
    if name in BUILTIN_MODELS:
        raise ImmutableError(f"built-in model {name!r} cannot be changed")
    get_record(session=session, name=name, version=version)
    raise ImmutableError(
        f"weight model {name!r} version {version} is published and cannot change; POST the "
        "changed model to /api/v1/weight-models to publish it as a new version"
    )


def retire_model(*, session: Session, name: str, version: int, actor: str) -> WeightModelRecord:
    """Mark a version retired (no longer used for new scores; still readable); commits."""
    if name in BUILTIN_MODELS:
        raise ConflictError(f"built-in model {name!r} cannot be retired")
    record = get_record(session=session, name=name, version=version)
    if record.status == RETIRED:
        raise ConflictError(f"weight model {name!r} version {version} is already retired")
    others = [r for r in _versions(session, name) if r.status == PUBLISHED and r.id != record.id]
    if not others:
        waves = session.exec(select(Wave.code).where(Wave.default_model == name)).all()
        if waves:
            raise ConflictError(
                f"weight model {name!r} is the default of wave(s) {', '.join(waves)}: make "
                "another model their default first"
            )
    record.status = RETIRED
    session.add(record)
    session.add(
        AuditEvent(
            actor=actor,
            action="retire_weight_model",
            target=f"{name}@{version}",
            detail={"name": name, "version": version},
        )
    )
    session.commit()
    session.refresh(record)
    return record


def set_default_model(
    *, session: Session, wave_code: str, name: str, actor: str, bootstrap: int
) -> tuple[Wave, ScoreSnapshot | None]:
    """Make ``name`` the wave's default model, scoring the wave with it when its latest
    snapshot under that name is missing or from an older version, so that officials' pages
    never point at a model without scores. One transaction (as closing a wave)."""
    wave = get_wave(session=session, code=wave_code)
    model = load_weight_model(session=session, name=name)  # 404 unless published or built-in
    previous = wave.default_model
    wave.default_model = name
    session.add(wave)
    session.add(
        AuditEvent(
            actor=actor,
            action="set_default_model",
            target=wave.code,
            detail={"from": previous, "to": name, "version": model.version},
        )
    )
    ref = find_snapshot_or_none(session=session, wave=wave, model_name=name)
    snapshot = None
    try:
        session.flush()
        if ref is None or ref.model_version != model.version:
            snapshot = compute_snapshot(
                session=session,
                wave_code=wave.code,
                model_name=name,
                bootstrap=bootstrap,
                actor=actor,
            )
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(wave)
    return wave, snapshot
