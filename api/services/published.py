"""What may be shown from a snapshot row, and the reporting settings stored with it.

Every service reads community figures through :func:`public_row`, so the suppression rule
(METHODS.md §6: no score, percentage or rank below ``min_n``) is applied in one place, even
for the fields the engine keeps for suppressed communities (item counts, don't-know rates).
"""

from __future__ import annotations

import math
from typing import Any

from api.services.snapshot_store import ResultsView

DEFAULT_BANDS: list[tuple[str, float | None]] = [
    ("优", 90.0),
    ("良", 80.0),
    ("中", 60.0),
    ("差", None),
]
REASON_EN = {"样本不足": "insufficient sample", "有效题目覆盖不足": "too few items answered"}
SUPPRESSED_ZH = "样本不足"


def model_definition(view: ResultsView) -> dict[str, Any]:
    definition: dict[str, Any] = view.provenance.get("model_definition") or {}
    return definition


def ci_level(view: ResultsView) -> float:
    return float(view.provenance.get("ci_level") or model_definition(view).get("ci_level") or 0.9)


def min_n(view: ResultsView) -> int:
    return int(view.provenance.get("min_n") or model_definition(view).get("min_n") or 30)


def trend_threshold(view: ResultsView) -> float:
    return float(model_definition(view).get("trend_threshold") or 3.0)


def model_key(view: ResultsView) -> str:
    return str(
        view.provenance.get("model_key") or f"{view.ref.model_name}@{view.ref.model_version}"
    )


def preset(view: ResultsView) -> str | None:
    value = view.provenance.get("preset")
    return None if value is None else str(value)


def grade_bands(view: ResultsView) -> list[tuple[str, float | None]]:
    bands = model_definition(view).get("grade_bands")
    if not bands:
        return DEFAULT_BANDS
    return [(str(name), None if low is None else float(low)) for name, low in bands]


def grade_of(score: float | None, bands: list[tuple[str, float | None]]) -> str | None:
    """The band whose lower edge the score reaches (bands listed best first)."""
    if score is None or math.isnan(score):
        return None
    for name, low in bands:
        if low is None or score >= low:
            return name
    return bands[-1][0]


def is_published(row: dict[str, Any] | None) -> bool:
    return bool(row) and not row.get("suppressed") and row.get("index") is not None  # type: ignore[union-attr]


def public_row(view: ResultsView, code: str) -> dict[str, Any] | None:
    """The row of ``code`` with every figure removed when it is suppressed (None: unknown)."""
    row = view.rows.get(code)
    if row is None:
        return None
    if is_published(row):
        return row
    return {
        "code": code,
        "n": row.get("n"),
        "suppressed": True,
        "suppression_reason": row.get("suppression_reason") or SUPPRESSED_ZH,
        "index": None,
    }


def published_rows(view: ResultsView) -> list[dict[str, Any]]:
    return [r for r in view.rows.values() if is_published(r)]


def reason_text(reason: str | None, lang: str) -> str | None:
    if reason is None:
        return None
    return REASON_EN.get(reason, reason) if lang == "en" else reason
