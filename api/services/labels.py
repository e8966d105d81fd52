"""Names of dimensions, sub-dimensions, items and respondent groups, from the wave's
questionnaire, in Chinese and English.

Snapshots hold codes only; the questionnaire version that a wave used is immutable once
published, so its labels are built once per definition and shared by every request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session

from survey.questionnaire.model import LikertItem, Questionnaire
from survey.storage.models import QuestionnaireRecord, Wave
from survey.storage.registry import questionnaire_of

AGE_CODE = "age_band"
GENDER_CODE = "gender"
COMMENT_ITEM = "P2"  # the open "急难愁盼" question; the grid/compound text item is never shown


@dataclass(frozen=True)
class Labels:
    dimensions: dict[str, dict[str, str]]
    subdimensions: dict[str, dict[str, str]]
    dimension_of_sub: dict[str, str]
    items: dict[str, dict[str, Any]]
    options: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    comment_item: str | None = None

    def text(self, kind: str, code: str, lang: str) -> str:
        table: dict[str, Any] = getattr(self, kind)
        entry = table.get(code)
        if not entry:
            return code
        return str(entry.get(lang) or entry.get("zh") or code)


def _local(text: Any) -> dict[str, str]:
    return {"zh": text.zh, "en": text.en or text.zh}


def build_labels(q: Questionnaire) -> Labels:
    dims, subs, dim_of = {}, {}, {}
    for d in q.dimensions:
        dims[d.code] = _local(d.label)
        for s in d.subdimensions:
            subs[s.code] = _local(s.label)
            dim_of[s.code] = d.code
    items: dict[str, dict[str, Any]] = {}
    for item in q.items:
        if isinstance(item, LikertItem) and item.subdimension:
            items[item.code] = {
                **_local(item.label),
                "subdimension": item.subdimension,
                "dimension": dim_of.get(item.subdimension),
                "reverse": item.reverse,
            }
    options: dict[str, dict[str, dict[str, str]]] = {}
    for code in (AGE_CODE, GENDER_CODE):
        if q.has_item(code):
            item = q.item(code)
            options[code] = {o.value: _local(o.label) for o in getattr(item, "options", [])}
    comment = COMMENT_ITEM if q.has_item(COMMENT_ITEM) else None
    return Labels(dims, subs, dim_of, items, options, comment)


_labels: dict[str, Labels] = {}
_TABLE: Any = QuestionnaireRecord.__table__  # type: ignore[attr-defined]
_HASH = select(_TABLE.c.definition_hash).where(_TABLE.c.id == bindparam("id"))


def labels_for_wave(*, session: Session, wave: Wave) -> Labels:
    # Only the hash is read on a hit: the definition JSON is tens of kilobytes per request.
    digest = session.connection().execute(_HASH, {"id": wave.questionnaire_id}).scalar()
    if digest is None:  # pragma: no cover - the foreign key forbids it
        return Labels({}, {}, {}, {})
    cached = _labels.get(digest)
    if cached is None:
        record = session.get(QuestionnaireRecord, wave.questionnaire_id)
        assert record is not None
        cached = build_labels(questionnaire_of(record))
        if len(_labels) > 32:
            _labels.clear()
        _labels[digest] = cached
    return cached
