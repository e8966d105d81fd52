"""The district summary of a wave: how scores are spread, which communities changed
significantly since the previous wave (Benjamini–Hochberg across communities), and which
priorities come up most often. Built from stored snapshots only.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from sqlmodel import Session

from api.services.labels import labels_for_wave
from api.services.published import published_rows
from api.services.read_models import ResultsView
from api.services.snapshot_store import wave_results
from api.services.street_level import AGGREGATION_METHOD, aggregates
from api.services.trends import wave_views
from api.web.messages import CATALOG, Message, label
from scoring.errors import IncomparableWavesError
from scoring.result import WaveResult
from scoring.trend import compare_waves
from survey.storage.models import Wave

FDR = 0.05
# Score bands for the distribution: the grade edges (60/80/90) split once more at 70.
BANDS: list[tuple[float, float, str]] = [
    (0.0, 60.0, "<60"),
    (60.0, 70.0, "60–69.9"),
    (70.0, 80.0, "70–79.9"),
    (80.0, 90.0, "80–89.9"),
    (90.0, 100.01, "≥90"),
]


def distribution(view: ResultsView) -> list[dict[str, Any]]:
    scores = [float(r.index) for r in published_rows(view) if r.index is not None]
    return [
        {
            "band": label,
            "low": lo,
            "high": min(hi, 100.0),
            "count": sum(lo <= s < hi for s in scores),
        }
        for lo, hi, label in BANDS
    ]


def _published(view: ResultsView) -> WaveResult:
    """The snapshot as the engine's result, with suppressed communities' figures blanked.

    The engine already publishes none and the read model keeps none; blanking here as well
    means a suppressed value can never enter the BH family or the lists.
    """
    result = view.to_wave_result()
    for name in ("index", "se", "ci_low", "ci_high"):
        getattr(result, name)[result.suppressed] = np.nan
    return result


def _change_table(previous: ResultsView, current: ResultsView) -> dict[str, Any]:
    """The engine's comparison of every community published in both waves (memoised)."""

    def build() -> dict[str, Any]:
        try:
            change = compare_waves(_published(previous), _published(current))
        except IncomparableWavesError as exc:
            return {"error": str(exc)}
        table = change.to_dict()
        table["changed"] = change.changed(FDR)
        return table

    result: dict[str, Any] = current.memo(f"change-from-{previous.ref.id}", build)
    return result


def significant_changes(
    previous: ResultsView | None, current: ResultsView, allowed: set[str] | None
) -> dict[str, Any]:
    """Rises and falls that survive BH at ``FDR`` and reach the practical threshold."""
    out: dict[str, Any] = {
        "from_wave": None if previous is None else previous.ref.wave,
        "fdr": FDR,
        "rises": [],
        "falls": [],
        "note": None,
        "note_code": None,
        "compared": 0,
    }
    if previous is None:
        out["note"] = label(Message.NO_PREVIOUS)
        out["note_code"] = Message.NO_PREVIOUS
        return out
    table = _change_table(previous, current)
    if "error" in table:
        # The English says which models differ (the engine's message), the Chinese that they do.
        out["note"] = {"zh": CATALOG[Message.MODEL_DIFFERS][0], "en": table["error"]}
        out["note_code"] = Message.MODEL_DIFFERS
        return out
    changed = set(table["changed"])
    out["threshold"] = table["threshold"]
    out["compared"] = sum(r["delta"] is not None for r in table["communities"])
    for row in table["communities"]:
        if row["code"] not in changed or (allowed is not None and row["code"] not in allowed):
            continue
        meta = current.meta.get(row["code"])
        entry = {
            **row,
            "name": None if meta is None else meta.name,
            "street": None if meta is None else meta.street,
            "street_name": None if meta is None else meta.street_name,
        }
        (out["rises"] if row["delta"] > 0 else out["falls"]).append(entry)
    out["rises"].sort(key=lambda r: -r["delta"])
    out["falls"].sort(key=lambda r: r["delta"])
    return out


def common_priorities(view: ResultsView, labels: Any, top: int = 5) -> dict[str, Any]:
    improve: Counter[str] = Counter()
    stated: Counter[str] = Counter()
    for row in published_rows(view):
        if row.priorities is not None:
            improve.update(row.priorities.improve_first)
            stated.update(row.priorities.stated_top)

    def listing(counter: Counter[str]) -> list[dict[str, Any]]:
        return [
            {
                "code": code,
                "label": labels.subdimensions.get(code, {"zh": code, "en": code}),
                "communities": k,
            }
            for code, k in counter.most_common(top)
        ]

    return {"improve_first": listing(improve), "stated_top": listing(stated)}


def build_summary(
    *, session: Session, wave: Wave, model_name: str | None, allowed: set[str] | None = None
) -> dict[str, Any]:
    """``allowed``: community codes the reader may see by name (None: all)."""
    view = wave_results(session=session, wave=wave, model_name=model_name)
    _, views = wave_views(session=session, model_name=view.ref.model_name, upto=wave)
    previous = next((wv.view for wv in reversed(views[:-1]) if wv.view is not None), None)
    agg = aggregates(view)
    district = agg["district"]
    return {
        "wave": wave.code,
        "model": view.ref.model_name,
        "model_version": view.ref.model_version,
        "model_key": view.model_key,
        "preset": view.provenance.preset,
        "computed_at": view.ref.computed_at,
        "ci_level": view.provenance.ci_level,
        "communities": len(view.rows),
        "published": district["communities"],
        "suppressed": len(view.rows) - district["communities"],
        "responses": sum(r.n or 0 for r in view.rows.values()),
        "district": {k: district.get(k) for k in ("index", "ci_low", "ci_high", "grade")},
        "method": AGGREGATION_METHOD,
        "distribution": distribution(view),
        "changes": significant_changes(previous, view, allowed),
        "priorities": common_priorities(view, labels_for_wave(session=session, wave=wave)),
    }
