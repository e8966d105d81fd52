"""Finding the weight model a wave is scored with: a published record, else a built-in."""

from __future__ import annotations

from sqlmodel import Session, col, select

from scoring.errors import ScoringError
from scoring.weight_model import WeightModel, builtin_model
from survey.errors import NotFoundError
from survey.storage.models import WeightModelRecord


def load_weight_model(*, session: Session, name: str, version: int | None = None) -> WeightModel:
    query = select(WeightModelRecord).where(WeightModelRecord.name == name)
    if version is not None:
        query = query.where(WeightModelRecord.version == version)
    else:
        query = query.where(WeightModelRecord.status == "published")
    record = session.exec(query.order_by(col(WeightModelRecord.version).desc())).first()
    if record is not None:
        return WeightModel.from_dict(record.definition)
    if version is None:
        try:
            return builtin_model(name)
        except (KeyError, ScoringError):
            pass
    label = name if version is None else f"{name} v{version}"
    raise NotFoundError(f"no weight model {label!r}")
