"""A community's scorecard, assembled from stored snapshots only (no recomputation).

It answers the officials' four questions (DOMAIN.md, "Reporting conventions"): how are we
doing (index, interval, grade, rank and rank interval), compared with whom (street, district
and same-housing-type averages), what changed (Δ since the previous wave with a label, and
the trend), and what to fix first (importance–performance quadrants). Every figure of a
suppressed community is left out, with the reason.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from api.services.change_rule import FDR
from api.services.labels import Labels, labels_for_wave
from api.services.priority_rule import DEFAULT_LEVEL, rule_sentence
from api.services.published import public_row
from api.services.rank_tiers import rank_group
from api.services.read_models import (
    NO_ESTIMATE,
    CommunityMeta,
    CommunityPriorities,
    CommunityRow,
    DistrictPriorities,
    ItemFigures,
    ResultsView,
    SmallAreaFit,
)
from api.services.snapshot_store import wave_results
from api.services.street_level import AGGREGATION_METHOD, aggregates
from api.services.trends import (
    community_changes,
    community_dimension_changes,
    community_points,
    district_points,
    street_points,
    wave_views,
)
from api.web.messages import label as catalog_label
from api.web.messages import text
from scoring.priorities import QUADRANTS, importance_performance
from survey.errors import NotFoundError
from survey.storage.models import Wave

NO_ITEM = ItemFigures(None, None, None, None)


def _dimensions(
    view: ResultsView,
    row: CommunityRow | None,
    street: str | None,
    housing: str | None,
    labels: Labels,
    changes: dict[str, list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    agg = aggregates(view)
    street_dims = (agg["streets"].get(street) or {}).get("dimensions") or {}
    housing_dims = (agg["housing"].get(housing) or {}).get("dimensions") or {}
    district_dims = agg["district"]["dimensions"]
    out = []
    for code in view.dimension_codes:
        d = NO_ESTIMATE if row is None else row.dimension(code)
        out.append(
            {
                "code": code,
                "label": labels.dimensions.get(code, {"zh": code, "en": code}),
                "weight": view.dimension_weights.get(code),
                "score": d.score,
                "ci_low": d.ci_low,
                "ci_high": d.ci_high,
                "street_mean": street_dims.get(code),
                "district_mean": district_dims.get(code),
                "housing_mean": housing_dims.get(code),
                "change": changes[code][-1] if changes.get(code) else None,
            }
        )
    return out


def _items(view: ResultsView, row: CommunityRow, labels: Labels) -> list[dict[str, Any]]:
    out = []
    for code in view.item_codes:
        it = row.items.get(code, NO_ITEM)
        info = labels.items.get(code, {})
        out.append(
            {
                "code": code,
                "label": {"zh": info.get("zh", code), "en": info.get("en", code)},
                "dimension": info.get("dimension"),
                "subdimension": info.get("subdimension"),
                "reverse": bool(info.get("reverse")),
                "score": it.score,
                "pct_positive": it.pct_positive,
                "dk_rate": it.dk_rate,
                "n": it.n,
            }
        )
    return out


#: Stored quadrant (scoring.importance.Quadrant) → the chart's code (−1: undetermined).
QUADRANT_CODES = {"priority": 0, "maintain": 1, "low_priority": 2, "possible_overkill": 3}


def _priorities(view: ResultsView, row: CommunityRow, labels: Labels) -> dict[str, Any] | None:
    district, mine = view.priorities, row.priorities
    if mine is None or district is None or not district.importance:
        return None
    if district.per_subdimension:
        return _priorities_with_intervals(district, mine, row, labels)
    return _priorities_point_crosshairs(district, mine, row, labels)


def _quadrant_label(code: int) -> dict[str, str]:
    if code < 0:
        return catalog_label("quadrant_undetermined")
    return {"zh": QUADRANTS[code][0], "en": QUADRANTS[code][1]}


def _priorities_with_intervals(
    district: DistrictPriorities, mine: CommunityPriorities, row: CommunityRow, labels: Labels
) -> dict[str, Any]:
    """Snapshots with the within-community importance (issue 12): every sub-dimension with its
    importance interval, its district-median cut and the stored quadrant, ``undetermined``
    (−1, "未定") unless both the gap and the importance are clear."""
    codes = list(district.importance)
    points = []
    for code in codes:
        q = QUADRANT_CODES.get(mine.quadrants.get(code, "undetermined"), -1)
        points.append(
            {
                "code": code,
                "label": labels.subdimensions.get(code, {"zh": code, "en": code}),
                "importance": district.importance[code],
                "importance_low": district.importance_low.get(code),
                "importance_high": district.importance_high.get(code),
                "performance": row.subdimensions.get(code),
                "performance_cut": district.performance_cuts.get(code),
                "gap": mine.gaps.get(code),
                "quadrant": q,
                "quadrant_label": _quadrant_label(q),
            }
        )
    by_code = {p["code"]: p for p in points}
    level = district.level if district.level is not None else DEFAULT_LEVEL
    return {
        "importance_method": district.importance_method,
        "importance_cut": district.importance_cut
        if district.importance_cut is not None
        else 1.0 / max(len(codes), 1),
        "performance_cut": None,
        "per_subdimension": True,
        "level": level,
        "rule": rule_sentence(district),
        "improve_first": [by_code[c] for c in mine.improve_first if c in by_code],
        "strengths": [by_code[c] for c in mine.keep_up if c in by_code],
        "stated_top": [by_code[c] for c in mine.stated_top if c in by_code],
        "points": points,
    }


def _priorities_point_crosshairs(
    district: DistrictPriorities, mine: CommunityPriorities, row: CommunityRow, labels: Labels
) -> dict[str, Any] | None:
    """Snapshots stored before issue 12: point importances and one grand-mean crosshair."""
    cut = district.performance_cut
    if cut is None:
        return None
    importance = district.importance
    codes = list(importance)
    perf = [row.subdimensions.get(c) for c in codes]
    perf_arr = [[float("nan") if v is None else float(v) for v in perf]]
    # The engine's own quadrant rule with the stored crosshairs: the chart places every
    # sub-dimension exactly where the stored priority lists say it is.
    ipa = importance_performance([importance[c] for c in codes], perf_arr, performance_cut=cut)
    points = []
    for j, code in enumerate(codes):
        q = int(ipa.quadrant[0, j])
        points.append(
            {
                "code": code,
                "label": labels.subdimensions.get(code, {"zh": code, "en": code}),
                "importance": importance[code],
                "performance": perf[j],
                "quadrant": q,
                "quadrant_label": {"zh": QUADRANTS[q][0], "en": QUADRANTS[q][1]}
                if q >= 0
                else None,
            }
        )
    by_code = {p["code"]: p for p in points}
    return {
        "importance_method": district.importance_method,
        "importance_cut": float(ipa.importance_cut.ravel()[0]),
        "performance_cut": cut,
        "improve_first": [by_code[c] for c in mine.improve_first if c in by_code],
        "strengths": [by_code[c] for c in mine.keep_up if c in by_code],
        "stated_top": [by_code[c] for c in mine.stated_top if c in by_code],
        "points": points,
    }


def _composition(view: ResultsView, meta: CommunityMeta, labels: Labels) -> dict[str, Any] | None:
    """Who answered against who lives there, by age band and by gender (shares)."""
    cells = view.strata_labels
    sample, population = meta.sample_cells, meta.population_cells
    if not cells or len(sample) != len(cells):
        return None
    out: dict[str, Any] = {"has_population": sum(population) > 0 if population else False}
    for pos, name in ((0, "age_band"), (1, "gender")):
        groups: dict[str, list[float]] = {}
        for k, label in enumerate(cells):
            key = label.split("|")[pos]
            acc = groups.setdefault(key, [0.0, 0.0])
            acc[0] += sample[k]
            acc[1] += population[k] if len(population) == len(cells) else 0.0
        s_total = sum(a[0] for a in groups.values()) or 1.0
        p_total = sum(a[1] for a in groups.values())
        opts = labels.options.get(name, {})
        out[name] = [
            {
                "value": key,
                "label": opts.get(key, {"zh": key, "en": key}),
                "sample_share": a[0] / s_total,
                "population_share": a[1] / p_total if p_total > 0 else None,
            }
            for key, a in groups.items()
        ]
    return out


def build_scorecard(
    *, session: Session, wave: Wave, community: str, model_name: str | None
) -> dict[str, Any]:
    # One query finds this wave's snapshot and every earlier wave's (for the trend); its last
    # entry is ``wave`` itself, with the snapshot ``wave_results`` would find.
    _, views = wave_views(session=session, model_name=model_name, upto=wave)
    if views and views[-1].wave.id == wave.id and views[-1].view is not None:
        view = views[-1].view
    else:  # not scored with this model (404), or the wave vanished meanwhile
        view = wave_results(session=session, wave=wave, model_name=model_name)
        _, views = wave_views(session=session, model_name=view.ref.model_name, upto=wave)
    row = public_row(view, community)
    meta = view.meta.get(community)
    if row is None or meta is None:
        raise NotFoundError(f"community {community!r} is not in wave {wave.code}'s results")
    labels = labels_for_wave(session=session, wave=wave)
    published = row.published
    agg = aggregates(view)
    street, housing = meta.street, meta.housing_type
    points = community_points(views, community)
    trend_changes = community_changes(views, community)
    dimension_changes = community_dimension_changes(views, community)
    prov = view.provenance
    return {
        "wave": wave.code,
        "model": view.ref.model_name,
        "model_version": view.ref.model_version,
        "model_key": view.model_key,
        "computed_at": view.ref.computed_at,
        "preset": prov.preset,
        "ci_level": prov.ci_level,
        "min_n": prov.min_n,
        "grade_bands": [[name, low] for name, low in prov.grade_bands],
        "community": {
            "code": meta.code,
            "name": meta.name,
            "street": meta.street,
            "street_name": meta.street_name,
            "housing_type": meta.housing_type,
        },
        "n": row.n,
        "responses": meta.responses,
        "exclusions": _exclusions(view, meta),
        "n_eff": row.n_eff,
        "suppressed": not published,
        "suppression_reason": text(row.reason),
        "suppression_reason_code": row.reason,
        "note": text(row.note),
        "note_code": row.note,
        "overall": {
            "score": row.index,
            "ci_low": row.ci_low,
            "ci_high": row.ci_high,
            "se": row.se,
            "grade": row.grade,
            "grade_prob": None if row.grade_prob is None else dict(row.grade_prob),
            "grade_p": row.grade_p,
            "borderline": row.borderline,
        },
        "small_area": _small_area(view, row, _flag_n(view)) if published else None,
        "osi": {"score": row.osi.score, "ci_low": row.osi.ci_low, "ci_high": row.osi.ci_high},
        "rank": {
            "rank": row.rank,
            "of": view.n_ranked,
            "rank_low": row.rank_low,
            "rank_high": row.rank_high,
            "estimator": view.rank_estimator,
            **rank_group(view, community),
        },
        "change": trend_changes[-1] if trend_changes else None,
        "trend": points,
        "trend_street": street_points(views, street) if street else [],
        "trend_district": district_points(views),
        "changes": trend_changes,
        "fdr": FDR,
        "comparison": {
            "street": _slim(agg["streets"].get(street)),
            "district": _slim(agg["district"]),
            "housing_type": _slim(agg["housing"].get(housing)),
            "method": AGGREGATION_METHOD,
        },
        "dimensions": _dimensions(
            view, row if published else None, street, housing, labels, dimension_changes
        ),
        "priorities": _priorities(view, row, labels) if published else None,
        "items": _items(view, row, labels) if published else [],
        "composition": _composition(view, meta, labels) if published else None,
    }


def _exclusions(view: ResultsView, meta: CommunityMeta) -> dict[str, Any] | None:
    """The community's n received / excluded by rule / scored, with the wave's policy; None
    for a snapshot stored before exclusion policies reached the index."""
    if meta.exclusions is None:
        return None
    policy = (view.exclusions or {}).get("policy")
    return {"policy": policy, **meta.exclusions}


def _small_area(view: ResultsView, row: CommunityRow, flag_n: int) -> dict[str, Any] | None:
    """The community's Fay–Herriot estimates beside its direct ones (None: not estimated):
    the overall index as before (``estimate``, ``mse``, ...) plus ``dimensions`` (each
    dimension's EBLUP, or None), ``estimator`` (what ranks and change labels use) and ``show``
    (the page shows them: a small sample, n < the model's ``flag_n``)."""
    sa = view.small_area
    if sa is None or row.code not in sa.overall.communities:
        return None

    def one(fit: SmallAreaFit | None, direct: float | None) -> dict[str, Any] | None:
        e = None if fit is None else fit.communities.get(row.code)
        if e is None:
            return None
        return {**e._asdict(), "se": e.se, "direct": direct}

    return {
        **(one(sa.overall, row.index) or {}),
        "method": sa.overall.method,
        "design": sa.overall.design,
        "sigma2_v": sa.overall.sigma2_v,
        "level": sa.overall.level,
        "dimensions": {
            d: one(sa.dimensions.get(d), row.dimension(d).score) for d in view.dimension_codes
        },
        "estimator": sa.estimator,
        "flag_n": flag_n,
        "show": (row.n or 0) < flag_n,
    }


def _flag_n(view: ResultsView) -> int:
    prov = view.provenance
    return int(prov.raw.get("flag_n") or prov.model_definition.get("flag_n") or 100)


def _slim(agg: dict[str, Any] | None) -> dict[str, Any] | None:
    if agg is None:
        return None
    return {
        k: agg.get(k)
        for k in (
            "index",
            "ci_low",
            "ci_high",
            "grade",
            "communities",
            "responses",
            "suppressed",
            "weighting",
            "population",
        )
    }
