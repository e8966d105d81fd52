"""Trends across waves, read from each wave's stored snapshot (METHODS.md §7).

Only snapshots scored with the same weight model (name, version and rescaling preset, i.e.
the same ``model_key``) are compared; otherwise the change is refused with a note, because a
different model moves scores by itself. Every change is read from the family tables of
``api/services/change_rule.py`` (the one change rule: BH over communities × nodes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from sqlmodel import Session

from api.services.change_rule import (
    DISTRICT,
    FDR,
    OVERALL,
    area_table,
    community_table,
    empty_change,
    with_items,
)
from api.services.lineage import combined, predecessors
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
        "lineage": [],
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
    """The community's figure in every wave; before a merger or split, the population-weighted
    combination of its predecessors (``api/services/lineage.py``), marked ``lineage``."""
    latest = next((wv.view for wv in reversed(views) if wv.view and code in wv.view.rows), None)
    preds = () if latest is None else predecessors(latest, code)
    points = []
    for wv in views:
        if wv.view is not None and code not in wv.view.rows and preds:
            point = _point(wv, _lineage_figure(wv.view, preds))
            point["lineage"] = [p for p, _share in preds]
            if point["score"] is not None:
                point["note"] = with_items(Message.LINEAGE, point["lineage"])
                point["note_code"] = Message.LINEAGE
            points.append(point)
            continue
        points.append(_point(wv, None if wv.view is None else _row_figure(wv.view, code)))
    return points


def _lineage_figure(view: ResultsView, preds: tuple[tuple[str, float], ...]) -> dict[str, Any]:
    fig = combined(view, preds)
    if fig is None:
        return {"suppressed": True, "index": None, "n": None}
    z = NormalDist().inv_cdf(0.5 + view.provenance.ci_level / 2)
    n = sum(view.rows[p].n or 0 for p, _share in preds)
    score, se = fig
    return {
        "suppressed": False,
        "index": score,
        "se": se,
        "ci_low": score - z * se,
        "ci_high": score + z * se,
        "n": n,
    }


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


def _pairs(views: list[WaveView]) -> list[tuple[WaveView | None, WaveView]]:
    return [(views[i - 1] if i else None, wv) for i, wv in enumerate(views)]


def _pair_change(
    prev: WaveView | None,
    cur: WaveView,
    pick: Callable[[ResultsView, ResultsView], dict[str, Any]],
) -> dict[str, Any]:
    """The change into ``cur`` from ``prev``, read from the family table ``pick`` returns."""
    if prev is None:
        return empty_change(None, cur.wave.code, Message.NO_PREVIOUS)
    if prev.view is None or cur.view is None:
        return empty_change(prev.wave.code, cur.wave.code, Message.NOT_SCORED)
    return pick(prev.view, cur.view)


def community_changes(
    views: list[WaveView], code: str, node: str = OVERALL
) -> list[dict[str, Any]]:
    """The change of a community's ``node`` into every wave (the one rule, change_rule.py)."""
    return [
        _pair_change(p, c, lambda a, b: community_table(a, b).get(code, node))
        for p, c in _pairs(views)
    ]


def community_dimension_changes(
    views: list[WaveView], code: str
) -> dict[str, list[dict[str, Any]]]:
    """Every dimension's changes into every wave (codes of the latest scored wave)."""
    latest = next((wv.view for wv in reversed(views) if wv.view is not None), None)
    dims = () if latest is None else latest.dimension_codes
    return {d: community_changes(views, code, d) for d in dims}


def street_changes(views: list[WaveView], street: str) -> list[dict[str, Any]]:
    return [_pair_change(p, c, lambda a, b: area_table(a, b).get(street)) for p, c in _pairs(views)]


def district_changes(views: list[WaveView]) -> list[dict[str, Any]]:
    return [
        _pair_change(p, c, lambda a, b: area_table(a, b).get(DISTRICT)) for p, c in _pairs(views)
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


def _report(
    name: str, points: list[dict[str, Any]], changes: list[dict[str, Any]], views: list[WaveView]
) -> dict[str, Any]:
    return {
        "model": name,
        "ci_level": level_of(views),
        "threshold": threshold_of(views),
        "fdr": FDR,
        "change_rule": label(Message.CHANGE_RULE),
        "waves": [wv.wave.code for wv in views],
        "points": points,
        "changes": changes,
    }


def community_trend(*, session: Session, community: str, model_name: str | None) -> dict[str, Any]:
    name, views = wave_views(session=session, model_name=model_name)
    points, changes = community_points(views, community), community_changes(views, community)
    return {
        "community": community,
        **_report(name, points, changes, views),
        "dimension_changes": community_dimension_changes(views, community),
    }


def street_trend(*, session: Session, street: str, model_name: str | None) -> dict[str, Any]:
    name, views = wave_views(session=session, model_name=model_name)
    return {
        "street": street,
        "method": AGGREGATION_METHOD,
        **_report(name, street_points(views, street), street_changes(views, street), views),
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
    report = {
        "method": AGGREGATION_METHOD,
        **_report(name, district_points(views), district_changes(views), views),
    }
    meta: dict[str, CommunityMeta] = {}
    for wv in views:  # the latest names win: communities are renamed now and then
        if wv.view is not None:
            meta.update(wv.view.meta)
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
                "last_change": community_changes(views, code)[-1] if pts else None,
                "last_dimension_changes": {
                    d: ch[-1] for d, ch in community_dimension_changes(views, code).items() if ch
                },
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
                "last_change": street_changes(views, code)[-1] if pts else None,
            }
        )
    report["communities"] = rows
    report["streets"] = street_rows
    return report


@dataclass(frozen=True)
class LatestChanges:
    """The change into one wave's snapshot from the wave before it (the trend's pair), for
    pages and JSON that show only the latest change (dashboard, rankings)."""

    previous: WaveView | None  # None: the first wave
    current: WaveView

    @property
    def key(self) -> str:
        """Identifies the pair of snapshots (for memo keys of what is built from it)."""
        prev = self.previous
        return "none" if prev is None or prev.view is None else str(prev.view.ref.id)

    def community(self, code: str, node: str = OVERALL) -> dict[str, Any]:
        return _pair_change(
            self.previous, self.current, lambda a, b: community_table(a, b).get(code, node)
        )

    def street(self, code: str) -> dict[str, Any]:
        return _pair_change(self.previous, self.current, lambda a, b: area_table(a, b).get(code))


def latest_changes(*, session: Session, wave: Wave, view: ResultsView) -> LatestChanges:
    """The pair (previous wave, ``view``) that the trend report labels for ``wave``."""
    _, views = wave_views(session=session, model_name=view.ref.model_name, upto=wave)
    if views and views[-1].wave.id == wave.id:
        return LatestChanges(views[-2] if len(views) >= 2 else None, WaveView(views[-1].wave, view))
    assert wave.id is not None
    info = WaveInfo(id=wave.id, code=wave.code, opens_at=None, default_model=view.ref.model_name)
    return LatestChanges(None, WaveView(info, view))
