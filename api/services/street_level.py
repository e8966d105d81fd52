"""Street, district and housing-type aggregates of a snapshot's community scores.

Method (stated in every output as ``AGGREGATION_METHOD``): the **resident-weighted mean** of
the published community figures, ``Σ N_c ȳ_c / Σ N_c`` with ``N_c`` the community's adult
population in the register (stored with the snapshot's community metadata), so the aggregate
reads as "the average resident of the street", whatever the sample sizes. Its standard error
treats the communities as independent samples, ``SE = √Σ (N_c/N)² SE_c²``, and the interval is
normal at the snapshot's level. The estimand is named: the residents of the *published*
communities (``population`` of ``population_total``, ``population_covered`` its share).
A group in which some community has no population (a snapshot stored before populations were
kept, or a register without them) falls back to weighting by valid responses for the whole
group, and says so (``weighting: "responses"`` instead of ``"residents"``).

Suppression: a community below ``min_n`` has no figure in the snapshot, and even if one were
there, :func:`~api.services.published.published_rows` drops it, so no aggregate depends on
a suppressed value and none can be recovered by subtracting visible figures from a total
(tests/api/test_suppression.py checks this by planting a value and comparing every output).
An aggregate over no published community is itself suppressed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from scipy import stats

from api.services.published import grade_of, published_rows
from api.services.read_models import CommunityRow, ResultsView
from api.web.messages import Message, label, text
from scoring.rank import Note, nan_quantiles, rank_min

AGGREGATION_METHOD = label(Message.AGGREGATION_METHOD)
RANK_DRAWS = 2000
RANK_SEED = 20260501


def _weights(rows: list[CommunityRow], population: dict[str, int | None]) -> tuple[np.ndarray, str]:
    """Residents per community when every one is known, else valid responses."""
    residents = [population.get(r.code) for r in rows]
    if rows and all(p is not None and p > 0 for p in residents):
        return np.array([float(p or 0) for p in residents]), "residents"
    return np.array([float(r.n or 0) for r in rows]), "responses"


def _aggregate(
    rows: list[CommunityRow],
    dimension_codes: tuple[str, ...],
    z: float,
    bands: tuple[tuple[str, float | None], ...],
    population: dict[str, int | None],
) -> dict[str, Any]:
    weight, weighting = _weights(rows, population)
    n = np.array([float(r.n or 0) for r in rows])
    total = float(weight.sum())
    if not rows or total <= 0:
        return {
            "suppressed": True,
            "index": None,
            "ci_low": None,
            "ci_high": None,
            "se": None,
            "grade": None,
            "dimensions": {},
            "communities": len(rows),
            "responses": 0,
            "weighting": weighting,
            "population": None,
        }
    w = weight / total
    index = np.array([float(r.index or 0.0) for r in rows])  # published: never None
    se = np.array([float(r.se or 0.0) for r in rows])
    mean = float(w @ index)
    agg_se = float(np.sqrt((w**2) @ (se**2)))
    dims: dict[str, float | None] = {}
    for code in dimension_codes:
        vals = [(wi, r.dimension(code).score) for wi, r in zip(w, rows, strict=True)]
        ok = [(wi, v) for wi, v in vals if v is not None]
        weight = sum(wi for wi, _v in ok)
        dims[code] = sum(wi * v for wi, v in ok) / weight if weight > 0 else None
    return {
        "suppressed": False,
        "index": mean,
        "se": agg_se,
        "ci_low": mean - z * agg_se,
        "ci_high": mean + z * agg_se,
        "grade": grade_of(mean, bands),
        "dimensions": dims,
        "communities": len(rows),
        "responses": int(n.sum()),
        "weighting": weighting,
        "population": int(total) if weighting == "residents" else None,
    }


def _street(view: ResultsView, code: str) -> str | None:
    meta = view.meta.get(code)
    return None if meta is None else meta.street


def _housing(view: ResultsView, code: str) -> str | None:
    meta = view.meta.get(code)
    return None if meta is None else meta.housing_type


def _groups(
    view: ResultsView, key: Callable[[ResultsView, str], str | None]
) -> dict[str, list[CommunityRow]]:
    groups: dict[str, list[CommunityRow]] = defaultdict(list)
    for row in published_rows(view):
        value = key(view, row.code)
        if value is not None:
            groups[str(value)].append(row)
    return groups


def _all_members(view: ResultsView) -> dict[str, list[str]]:
    members: dict[str, list[str]] = defaultdict(list)
    for code in view.rows:
        value = _street(view, code)
        if value is not None:
            members[str(value)].append(code)
    return members


def aggregates(view: ResultsView) -> dict[str, Any]:
    """``{"district": agg, "streets": {code: agg}, "housing": {type: agg}}``, memoised."""
    result: dict[str, Any] = view.memo("aggregates", lambda: _build(view))
    return result


def _build(view: ResultsView) -> dict[str, Any]:
    dims = view.dimension_codes
    z = float(stats.norm.ppf(0.5 + view.provenance.ci_level / 2))
    bands = view.provenance.grade_bands
    members = _all_members(view)
    pop = {code: m.population for code, m in view.meta.items()}
    streets = {}
    for code, rows in _groups(view, _street).items():
        streets[code] = _aggregate(rows, dims, z, bands, pop)
    for code, codes in members.items():
        agg = streets.setdefault(code, _aggregate([], dims, z, bands, pop))
        agg["communities_total"] = len(codes)
        agg["responses_total"] = int(sum(view.rows[c].n or 0 for c in codes))
        agg["suppressed_communities"] = len(codes) - agg["communities"]
        _coverage(agg, [pop.get(c) for c in codes])
    housing = {
        k: _aggregate(rows, dims, z, bands, pop) for k, rows in _groups(view, _housing).items()
    }
    district = _aggregate(published_rows(view), dims, z, bands, pop)
    district["communities_total"] = len(view.rows)
    _coverage(district, list(pop.get(c) for c in view.rows))
    _rank_streets(streets)
    return {
        "district": district,
        "streets": streets,
        "housing": housing,
        "method": AGGREGATION_METHOD,
    }


def _coverage(agg: dict[str, Any], populations: list[int | None]) -> None:
    """The estimand, named: residents of the published communities out of all residents."""
    known = all(p is not None and p > 0 for p in populations)
    total = float(sum(p or 0 for p in populations)) if known else None
    agg["population_total"] = None if total is None else int(total)
    covered = agg.get("population")
    agg["population_covered"] = (
        None if total is None or covered is None or total <= 0 else covered / total
    )


def _rank_streets(streets: dict[str, dict[str, Any]]) -> None:
    """Street ranks (``min`` ties) and 5–95% rank intervals by simulation.

    The snapshot holds no bootstrap replicates, so street rank intervals draw each street's
    mean from its normal approximation (fixed seed, so pages are stable between reads).
    """
    codes = [c for c, a in streets.items() if not a["suppressed"]]
    for agg in streets.values():
        agg.update(rank=None, rank_low=None, rank_high=None)
    if not codes:
        return
    mean = np.array([streets[c]["index"] for c in codes])
    se = np.array([streets[c]["se"] or 0.0 for c in codes])
    rank = rank_min(mean)
    draws = np.random.default_rng(RANK_SEED).normal(mean, se, size=(RANK_DRAWS, len(codes)))
    low, high = nan_quantiles(rank_min(draws), [0.05, 0.95], axis=0)
    for i, code in enumerate(codes):
        streets[code].update(
            rank=int(rank[i]), rank_low=int(np.floor(low[i])), rank_high=int(np.ceil(high[i]))
        )
    for agg in streets.values():
        agg["n_ranked"] = len(codes)


def street_rows(view: ResultsView, *, allowed: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Street ranking rows (best first; suppressed streets last), optionally limited."""
    agg = aggregates(view)
    names = {m.street: m.street_name for m in view.meta.values()}
    keep = None if allowed is None else set(allowed)
    rows = []
    for code, a in agg["streets"].items():
        if keep is not None and code not in keep:
            continue
        rows.append(
            {
                "street": code,
                "street_name": names.get(code) or code,
                "communities": a.get("communities_total", a["communities"]),
                "communities_published": a["communities"],
                "n": a.get("responses_total", a["responses"]),
                "n_published": a["responses"],
                "score": a["index"],
                "ci_low": a["ci_low"],
                "ci_high": a["ci_high"],
                "grade": a["grade"],
                "rank": a["rank"],
                "rank_low": a["rank_low"],
                "rank_high": a["rank_high"],
                "suppressed": a["suppressed"],
                "suppression_reason": text(Note.INSUFFICIENT_SAMPLE) if a["suppressed"] else None,
                "suppression_reason_code": Note.INSUFFICIENT_SAMPLE if a["suppressed"] else None,
                "dimensions": a["dimensions"],
                "weighting": a["weighting"],
                "population": a["population"],
                "population_total": a.get("population_total"),
                "population_covered": a.get("population_covered"),
            }
        )
    rows.sort(key=lambda r: (r["rank"] if r["rank"] is not None else 10**9, r["street"]))
    return rows


def figure_over(view: ResultsView, codes: Iterable[str]) -> tuple[float, float] | None:
    """(index, SE) of the resident-weighted mean over exactly ``codes`` (published rows only):
    what a change of a street compares, so both waves average the same communities."""
    keep = set(codes)
    rows = [r for r in published_rows(view) if r.code in keep]
    pop = {code: m.population for code, m in view.meta.items()}
    agg = _aggregate(rows, (), 0.0, view.provenance.grade_bands, pop)
    if agg["suppressed"] or agg["index"] is None:
        return None
    return float(agg["index"]), float(agg["se"])
