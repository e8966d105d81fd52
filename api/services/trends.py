"""Trends across waves, read from each wave's stored snapshot (METHODS.md §7).

Only snapshots scored with the same weight model (name, version and rescaling preset, i.e.
the same ``model_key``) are compared; otherwise the change is refused with a note, because a
different model moves scores by itself. Changes are labelled by ``scoring.trend``.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
from sqlmodel import Session

from api.services.published import public_row
from api.services.read_models import CommunityMeta, ResultsView
from api.services.snapshot_store import (
    WaveInfo,
    load_results,
    ordered_waves,
    waves_with_snapshots,
)
from api.services.street_level import AGGREGATION_METHOD, aggregates
from api.web.messages import Message, label
from scoring.rank import Note
from scoring.trend import LABELS, change_labels
from survey.storage.models import Wave


def _note(point: dict[str, Any], code: str) -> None:
    """A point's (or change's) note: the catalog's ``{"zh", "en"}`` words and their code."""
    point["note"] = label(code)
    point["note_code"] = code


@dataclass(frozen=True)
class WaveView:
    wave: WaveInfo
    view: ResultsView | None  # None: the wave has no snapshot with this model


def wave_views(
    *, session: Session, model_name: str | None, upto: Wave | None = None
) -> tuple[str, list[WaveView]]:
    """Every wave in survey order (up to ``upto``) with its snapshot for the model.

    Without a model: ``upto``'s default model, or else the latest wave's.
    """
    name = model_name or (upto.default_model if upto is not None else None)
    if name is None:
        waves = ordered_waves(session=session)
        name = waves[-1].default_model if waves else "equal"
    pairs = waves_with_snapshots(session=session, model_name=name)
    if upto is not None:
        ids = [w.id for w, _ref in pairs]
        pairs = pairs[: ids.index(upto.id) + 1] if upto.id in ids else pairs
    views = [
        WaveView(w, None if ref is None else load_results(session=session, ref=ref))
        for w, ref in pairs
    ]
    return name, views


def _point(wv: WaveView, figure: dict[str, Any] | None) -> dict[str, Any]:
    point: dict[str, Any] = {
        "wave": wv.wave.code,
        "score": None,
        "ci_low": None,
        "ci_high": None,
        "se": None,
        "n": None,
        "suppressed": False,
        "note": None,
        "note_code": None,
        "model_key": None,
        "preset": None,
    }
    if wv.view is None:
        _note(point, Message.NOT_SCORED)
        return point
    point["model_key"] = wv.view.model_key
    point["preset"] = wv.view.provenance.preset
    if figure is None:
        _note(point, Message.NOT_SCORED)
    elif figure.get("suppressed") or figure.get("index") is None:
        point.update(suppressed=True, n=figure.get("n"))
        _note(point, Note.INSUFFICIENT_SAMPLE)
    else:
        point.update(
            score=figure["index"],
            ci_low=figure.get("ci_low"),
            ci_high=figure.get("ci_high"),
            se=figure.get("se"),
            n=figure.get("n"),
        )
    return point


def _row_figure(view: ResultsView, code: str) -> dict[str, Any] | None:
    row = public_row(view, code)
    if row is None:
        return None
    return {
        "suppressed": row.suppressed,
        "index": row.index,
        "ci_low": row.ci_low,
        "ci_high": row.ci_high,
        "se": row.se,
        "n": row.n,
    }


def community_points(views: list[WaveView], code: str) -> list[dict[str, Any]]:
    return [_point(wv, None if wv.view is None else _row_figure(wv.view, code)) for wv in views]


def street_points(views: list[WaveView], street: str) -> list[dict[str, Any]]:
    points = []
    for wv in views:
        agg = None if wv.view is None else aggregates(wv.view)["streets"].get(street)
        points.append(_point(wv, None if agg is None else {**agg, "n": agg.get("responses")}))
    return points


def district_points(views: list[WaveView]) -> list[dict[str, Any]]:
    points = []
    for wv in views:
        agg = None if wv.view is None else aggregates(wv.view)["district"]
        points.append(_point(wv, None if agg is None else {**agg, "n": agg.get("responses")}))
    return points


def wave_change(
    i1: float, se1: float, i2: float, se2: float, *, threshold: float, level: float
) -> dict[str, Any]:
    """Δ, its SE and interval, and the engine's label (same formulas as
    ``scoring.trend.compare_waves``, for one community without rebuilding whole results)."""
    delta = np.array([i2 - i1])
    se = np.sqrt(np.array([se1**2 + se2**2]))
    z = NormalDist().inv_cdf(0.5 + level / 2)
    low, high = delta - z * se, delta + z * se
    ratio = float(abs(delta[0]) / se[0]) if se[0] > 0 else float("nan")
    p = np.array([2 * NormalDist().cdf(-ratio) if np.isfinite(ratio) else np.nan])
    zh = change_labels(delta, low, high, threshold, "zh")[0]
    en = change_labels(delta, low, high, threshold, "en")[0]
    direction = {LABELS["zh"][0]: 1, LABELS["zh"][2]: -1}.get(zh or "", 0)
    return {
        "delta": float(delta[0]),
        "se": float(se[0]),
        "ci_low": float(low[0]),
        "ci_high": float(high[0]),
        "p_value": float(p[0]) if np.isfinite(p[0]) else None,
        "significant": direction != 0,
        "direction": direction,
        "label": zh,
        "label_en": en,
    }


def change(
    prev: dict[str, Any] | None, cur: dict[str, Any], *, threshold: float, level: float
) -> dict[str, Any]:
    """Δ between two points with its interval and label, or the reason there is none."""
    out: dict[str, Any] = {
        "from_wave": None if prev is None else prev["wave"],
        "to_wave": cur["wave"],
        "delta": None,
        "ci_low": None,
        "ci_high": None,
        "se": None,
        "label": None,
        "label_en": None,
        "significant": False,
        "direction": 0,
        "p_value": None,
        "note": None,
        "note_code": None,
    }
    if prev is None:
        _note(out, Message.NO_PREVIOUS)
    elif prev.get("model_key") is None or cur.get("model_key") is None:
        _note(out, Message.NOT_SCORED)
    elif (prev["model_key"], prev.get("preset")) != (cur["model_key"], cur.get("preset")):
        _note(out, Message.MODEL_DIFFERS)
    elif prev["score"] is None or cur["score"] is None:
        _note(out, Note.INSUFFICIENT_SAMPLE)
    else:
        c = wave_change(
            prev["score"],
            prev.get("se") or 0.0,
            cur["score"],
            cur.get("se") or 0.0,
            threshold=threshold,
            level=level,
        )
        out.update(c)
    return out


def changes(
    points: list[dict[str, Any]], *, threshold: float, level: float
) -> list[dict[str, Any]]:
    """The change into every wave from the previous wave (the first has none)."""
    return [
        change(points[i - 1] if i else None, p, threshold=threshold, level=level)
        for i, p in enumerate(points)
    ]


def threshold_of(views: list[WaveView]) -> float:
    for wv in reversed(views):
        if wv.view is not None:
            return wv.view.provenance.trend_threshold
    return 3.0


def level_of(views: list[WaveView]) -> float:
    for wv in reversed(views):
        if wv.view is not None:
            return wv.view.provenance.ci_level
    return 0.9


def _report(name: str, points: list[dict[str, Any]], views: list[WaveView]) -> dict[str, Any]:
    return {
        "model": name,
        "ci_level": level_of(views),
        "threshold": threshold_of(views),
        "waves": [wv.wave.code for wv in views],
        "points": points,
        "changes": changes(points, threshold=threshold_of(views), level=level_of(views)),
    }


def community_trend(*, session: Session, community: str, model_name: str | None) -> dict[str, Any]:
    name, views = wave_views(session=session, model_name=model_name)
    return {"community": community, **_report(name, community_points(views, community), views)}


def street_trend(*, session: Session, street: str, model_name: str | None) -> dict[str, Any]:
    name, views = wave_views(session=session, model_name=model_name)
    return {
        "street": street,
        "method": AGGREGATION_METHOD,
        **_report(name, street_points(views, street), views),
    }


def district_trend(
    *,
    session: Session,
    model_name: str | None,
    allowed_communities: set[str] | None = None,
    allowed_streets: set[str] | None = None,
) -> dict[str, Any]:
    """The district series, plus one row per street and per community the reader may see."""
    name, views = wave_views(session=session, model_name=model_name)
    report = {"method": AGGREGATION_METHOD, **_report(name, district_points(views), views)}
    meta: dict[str, CommunityMeta] = {}
    for wv in views:  # the latest names win: communities are renamed now and then
        if wv.view is not None:
            meta.update(wv.view.meta)
    thr, lev = threshold_of(views), level_of(views)
    streets: dict[str, str] = {}
    rows = []
    for code in sorted(meta):
        info = meta[code]
        if info.street:
            streets[str(info.street)] = str(info.street_name or info.street)
        if allowed_communities is not None and code not in allowed_communities:
            continue
        pts = community_points(views, code)
        rows.append(
            {
                "code": code,
                "name": info.name,
                "street": info.street,
                "street_name": info.street_name,
                "points": pts,
                "last_change": changes(pts, threshold=thr, level=lev)[-1] if pts else None,
            }
        )
    street_rows = []
    for code in sorted(streets):
        if allowed_streets is not None and code not in allowed_streets:
            continue
        pts = street_points(views, code)
        street_rows.append(
            {
                "street": code,
                "street_name": streets[code],
                "points": pts,
                "last_change": changes(pts, threshold=thr, level=lev)[-1] if pts else None,
            }
        )
    report["communities"] = rows
    report["streets"] = street_rows
    return report
