"""What every new database holds from the start: the shipped questionnaire v1, published.

Used by the data step of migration 0006 (so ``meihao db upgrade`` alone gives a database a
wave can be created in) and by :func:`survey.storage.registry.store_questionnaire` callers
that expect the same row: both write ``Questionnaire.model_dump(mode="json")`` and its hash.
"""

from __future__ import annotations

from typing import Any

from survey.storage.models import utcnow


def default_questionnaire_row() -> dict[str, Any]:
    from survey.questionnaire.model import load_default

    q = load_default()
    now = utcnow()
    return {
        "slug": q.slug,
        "version": q.version,
        "definition": q.model_dump(mode="json"),
        "definition_hash": q.definition_hash(),
        "published": True,
        "created_at": now,
        "published_at": now,
    }
