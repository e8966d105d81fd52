"""The district summary of a wave: how scores are spread, which communities changed
significantly since the previous wave (the one change rule of ``change_rule.py``), and which
priorities come up most often. Built from stored snapshots only.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlmodel import Session

from api.services.change_rule import FAY_HERRIOT, FDR, OVERALL, community_table, eblup_figure
from api.services.labels import labels_for_wave
from api.services.priority_rule import importance_listing, rule_sentence
from api.services.published import published_rows
from api.services.read_models import ResultsView
from api.services.snapshot_store import wave_results
from api.services.street_level import AGGREGATION_METHOD, aggregates
from api.services.trends import LatestChanges, latest_changes
from api.web.messages import Message, label
from survey.storage.models import Wave

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


def significant_changes(pair: LatestChanges, allowed: set[str] | None) -> dict[str, Any]:
    """The communities whose overall index the one change rule labels up or down
    (``api/services/change_rule.py``: the same labels as the trend report and scorecards,
    between the same two waves: this one and the one before it)."""
    current = pair.current.view
    assert current is not None
    previous = None if pair.previous is None else pair.previous.view
    out: dict[str, Any] = {
        "from_wave": None if pair.previous is None else pair.previous.wave.code,
        "fdr": FDR,
        "rises": [],
        "falls": [],
        "note": None,
        "note_code": None,
        "compared": 0,
        "change_rule": label(Message.CHANGE_RULE),
    }
    if pair.previous is None or previous is None:
        note = Message.NO_PREVIOUS if pair.previous is None else Message.NOT_SCORED
        out["note"] = label(note)
        out["note_code"] = note
        return out
    table = community_table(previous, current)
    if table.note_code is not None:
        out["note"] = label(table.note_code)
        out["note_code"] = table.note_code
        return out
    out["threshold"] = table.min_change
    out["compared"] = sum(row[OVERALL]["reason"] == "" for row in table.cells.values())
    for code, row in table.cells.items():
        cell = row[OVERALL]
        if not cell["significant"] or (allowed is not None and code not in allowed):
            continue
        meta = current.meta.get(code)
        before, after = previous.rows[code].index, current.rows[code].index
        if cell["estimator"] == FAY_HERRIOT:  # before and after are what Δ compares
            before = eblup_figure(previous, previous.rows[code], OVERALL)[0]
            after = eblup_figure(current, current.rows[code], OVERALL)[0]
        entry = {
            "code": code,
            "name": None if meta is None else meta.name,
            "street": None if meta is None else meta.street,
            "street_name": None if meta is None else meta.street_name,
            "before": before,
            "after": after,
            "delta": cell["delta"],
            "se": cell["se"],
            "ci_low": cell["ci_low"],
            "ci_high": cell["ci_high"],
            "p": cell["p_value"],
            "q": cell["q"],
            "label": cell["label"],
            "estimator": cell["estimator"],
        }
        (out["rises"] if cell["direction"] > 0 else out["falls"]).append(entry)
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

    out: dict[str, Any] = {"improve_first": listing(improve), "stated_top": listing(stated)}
    district = view.priorities
    if district is not None and district.per_subdimension:  # issue 12: intervals and the rule
        out["importance"] = importance_listing(district, labels)
        out["rule"] = rule_sentence(district)
    return out


def build_summary(
    *, session: Session, wave: Wave, model_name: str | None, allowed: set[str] | None = None
) -> dict[str, Any]:
    """``allowed``: community codes the reader may see by name (None: all)."""
    view = wave_results(session=session, wave=wave, model_name=model_name)
    pair = latest_changes(session=session, wave=wave, view=view)
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
        "changes": significant_changes(pair, allowed),
        "priorities": common_priorities(view, labels_for_wave(session=session, wave=wave)),
    }
