"""Typed read models of a stored snapshot: parsed once, read by field everywhere.

A snapshot's ``results`` column is the JSON of ``scoring.result.WaveResult.to_dict`` plus the
community metadata ``api.services.snapshots`` adds. :func:`parse_results` turns it into the
frozen records below exactly once per snapshot (``api/services/snapshot_store.py`` caches the
outcome), so pages, JSON and exports read ``row.ci_low`` instead of chains of
``.get(...) or {}``: a field renamed in ``to_dict`` now fails here, loudly, at parse time,
instead of blanking a page.

Two rules are applied while parsing, so no reader can forget them:

- suppression (METHODS.md §6): a row that is suppressed, or has no index, keeps only its code,
  ``n`` and the reason; its scores, ranks, items and priorities are not kept at all;
- reason codes: notes are :class:`scoring.rank.Note` values. Snapshots stored before the codes
  hold the Chinese text; :func:`api.web.messages.note_code` maps it to its code here.

Leaf values (a dimension's estimate, an item's figures) are named tuples: a city snapshot has
~10⁵ of them and a tuple is the cheapest immutable record to build.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

import numpy as np

from api.web.messages import note_code
from scoring.rank import Note
from scoring.result import WaveResult

T = TypeVar("T")

# Grade bands of a snapshot whose model definition names none (the engine's own default).
DEFAULT_BANDS: tuple[tuple[str, float | None], ...] = (
    ("优", 90.0),
    ("良", 80.0),
    ("中", 60.0),
    ("差", None),
)


class SnapshotFormatError(RuntimeError):
    """A stored snapshot lacks a field the read model needs (a programming error, not input)."""


@dataclass(frozen=True)
class SnapshotRef:
    """A snapshot's header row (everything but the big ``results`` column)."""

    id: int
    wave: str
    model_name: str
    model_version: int
    data_hash: str
    computed_at: datetime


class Estimate(NamedTuple):
    """A score with its standard error and interval (None: not estimated or not published)."""

    score: float | None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


class ItemFigures(NamedTuple):
    score: float | None
    n: int | None
    dk_rate: float | None
    pct_positive: float | None


NO_ESTIMATE = Estimate(None)


@dataclass(frozen=True, slots=True)
class CommunityPriorities:
    """A community's sub-dimension codes: improve first, keep up, residents' stated top 3.

    Snapshots from the within-community importance on (issue 12) also carry every
    sub-dimension's quadrant (``priority``/``maintain``/``low_priority``/
    ``possible_overkill``/``undetermined``), its gap to the district median and the SE of its
    score; older snapshots leave these empty.
    """

    improve_first: tuple[str, ...]
    keep_up: tuple[str, ...]
    stated_top: tuple[str, ...]
    quadrants: Mapping[str, str] = field(default_factory=dict)
    gaps: Mapping[str, float | None] = field(default_factory=dict)
    performance_se: Mapping[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CommunityRow:
    """One community's published figures (``docs/interfaces.md``), or only why there are none."""

    code: str
    n: int | None
    suppressed: bool
    reason: Note | None = None  # why suppressed
    note: Note | None = None  # a published score's caveat (small sample)
    n_eff: float | None = None
    deff: float | None = None
    index: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    rank: int | None = None
    rank_low: int | None = None
    rank_high: int | None = None
    grade: str | None = None
    # P(grade) per band from the bootstrap, and the 临界 flag (None: no bootstrap, or a
    # snapshot stored before issue 12)
    grade_prob: Mapping[str, float] | None = None
    borderline: bool | None = None
    osi: Estimate = NO_ESTIMATE
    dimensions: Mapping[str, Estimate] = field(default_factory=dict)
    subdimensions: Mapping[str, float | None] = field(default_factory=dict)
    items: Mapping[str, ItemFigures] = field(default_factory=dict)
    priorities: CommunityPriorities | None = None

    @property
    def published(self) -> bool:
        return not self.suppressed

    def dimension(self, code: str) -> Estimate:
        return self.dimensions.get(code, NO_ESTIMATE)

    @property
    def grade_p(self) -> float | None:
        """P(the point estimate's grade) from the bootstrap."""
        if self.grade_prob is None or self.grade is None:
            return None
        return self.grade_prob.get(self.grade)


@dataclass(frozen=True, slots=True)
class CommunityMeta:
    """Who a community is and who answered (``api.services.snapshots.community_metadata``)."""

    code: str
    name: str | None
    street: str | None
    street_name: str | None
    housing_type: str | None
    responses: int | None
    sample_cells: tuple[int, ...]
    population_cells: tuple[float, ...]
    # n received / excluded (by rule) / scored of this community
    # (api.services.exclusions.community_summaries); None in snapshots stored before.
    exclusions: Mapping[str, Any] | None = None
    population: int | None = None  # the register's residents (None: snapshot predates it)
    predecessors: tuple[tuple[str, float], ...] = ()  # lineage: (code, share) after a merger


@dataclass(frozen=True, slots=True)
class Provenance:
    """How the snapshot was computed, with the reporting settings of its weight model."""

    model_key: str | None
    preset: str | None
    ci_level: float
    min_n: int
    trend_threshold: float
    grade_bands: tuple[tuple[str, float | None], ...]  # best first; the last bound is None
    bootstrap: int | None
    random_state: int | None
    data_sha256: str | None
    model_definition: Mapping[str, Any]  # the full stored model (to recompute the snapshot)
    raw: Mapping[str, Any]  # everything as stored, for the engine (``WaveResult``)


@dataclass(frozen=True, slots=True)
class DistrictPriorities:
    """Derived importance of each sub-dimension and the performance crosshair(s) (IPA).

    Older snapshots: one crosshair ``performance_cut`` (grand mean) and point importances.
    Newer: ``performance_cuts`` per sub-dimension (its district median), the importance
    interval (``importance_low``/``importance_high`` at ``level``) and ``importance_cut``.
    """

    importance: Mapping[str, float]
    importance_method: str | None
    performance_cut: float | None
    error: str | None  # why importance could not be derived (no priorities then)
    importance_low: Mapping[str, float | None] = field(default_factory=dict)
    importance_high: Mapping[str, float | None] = field(default_factory=dict)
    importance_cut: float | None = None
    performance_cuts: Mapping[str, float | None] = field(default_factory=dict)
    level: float | None = None

    @property
    def per_subdimension(self) -> bool:
        """The quadrant rule with intervals and per-sub-dimension cuts (issue 12)."""
        return bool(self.performance_cuts)


@dataclass(frozen=True, slots=True)
class BlockReliability:
    """Internal consistency of one dimension's items (``scoring.reliability``)."""

    code: str
    items: tuple[str, ...]
    n: int | None
    alpha: float | None
    alpha_ci: tuple[float | None, float | None]
    omega: float | None
    kmo: float | None
    bartlett_p: float | None
    notes: tuple[str, ...]
    icc1: float | None = None  # ICC(1) of respondents' dimension scores by community
    icc2: float | None = None  # ICC(2) = λ, reliability of a community mean of average size


@dataclass(frozen=True, slots=True)
class Reliability:
    blocks: Mapping[str, BlockReliability]
    rows_used: int | None


class SmallAreaEstimate(NamedTuple):
    """One community's Fay–Herriot EBLUP (``api/services/small_area.py``)."""

    estimate: float
    mse: float
    ci_low: float
    ci_high: float
    gamma: float  # weight of the direct estimate

    @property
    def se(self) -> float:
        return float(np.sqrt(self.mse))


@dataclass(frozen=True, slots=True)
class SmallAreaFit:
    """One Fay–Herriot fit (the overall index, or one dimension) over the published rows."""

    method: str
    design: str  # "street" (street dummies) or "intercept" (one common mean)
    sigma2_v: float
    level: float
    communities: Mapping[str, SmallAreaEstimate]


@dataclass(frozen=True, slots=True)
class SmallArea:
    """A snapshot's ``small_area``: the overall fit, one per dimension (None: not fitted, or a
    snapshot stored before dimensions had one) and the estimator of ranks and change labels."""

    overall: SmallAreaFit
    dimensions: Mapping[str, SmallAreaFit | None]
    estimator: str  # "direct" or "fay_herriot"
    estimator_note: str | None = None
    ranks: Mapping[str, Any] | None = None  # ranks by EBLUP (estimator fay_herriot only)

    def fit(self, node: str) -> SmallAreaFit | None:
        """The fit of ``"overall"`` or of a dimension code."""
        return self.overall if node == "overall" else self.dimensions.get(node)


@dataclass(eq=False)
class ResultsView:
    """One snapshot's parsed results, with look-ups by community code.

    ``derived`` holds values computed from these results by the services (street means,
    district distribution...), memoised per snapshot because the results never change.
    """

    ref: SnapshotRef
    provenance: Provenance
    dimension_codes: tuple[str, ...]
    subdimension_codes: tuple[str, ...]
    item_codes: tuple[str, ...]
    dimension_weights: Mapping[str, float | None]
    effective_item_weights: Mapping[str, float | None]
    weights_info: Mapping[str, Any]
    n_ranked: int
    strata_labels: tuple[str, ...]
    priorities: DistrictPriorities | None
    reliability: Reliability | None
    rows: dict[str, CommunityRow]
    meta: dict[str, CommunityMeta]
    # n received / excluded by rule / scored (api.services.exclusions.summary); None for
    # snapshots stored before exclusion policies reached the index.
    exclusions: Mapping[str, Any] | None = None
    # items and their signatures (api/services/framework_fingerprint.py); None: older snapshot
    framework_fingerprint: Mapping[str, Any] | None = None
    # Fay–Herriot estimates of the published communities (api/services/small_area.py)
    small_area: SmallArea | None = None
    # joint rank sets and tiers of the published communities (api/services/rank_groups.py)
    rank_sets: Mapping[str, Any] | None = None
    derived: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    building: dict[str, threading.Lock] = field(default_factory=dict)  # keys being built now

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """``derived[key]``, built once per snapshot, by one thread.

        Pages run in a thread pool, and a burst of first reads used to build the same table
        once per request at the same time (P7 with wrk: 32 concurrent first scorecards of a
        city each built the district's change table, 24 s apiece). Now the first builds it
        under a lock of that key and the others wait. A build may itself call ``memo`` for
        other keys (the keys' dependencies have no cycle, so the locks cannot deadlock).
        """
        with self.lock:
            if key in self.derived:
                value: T = self.derived[key]
                return value
            gate = self.building.setdefault(key, threading.Lock())
        with gate:
            with self.lock:
                if key in self.derived:
                    known: T = self.derived[key]
                    return known
            built = build()
            with self.lock:
                stored: T = self.derived.setdefault(key, built)
                self.building.pop(key, None)
                return stored

    @property
    def rank_estimator(self) -> str:
        """What produced ``rank``, ``rank_low``/``rank_high`` and the rank sets: ``direct``
        (the bootstrap) or ``fay_herriot`` (EBLUPs, when the weight model says so)."""
        return "direct" if self.small_area is None else self.small_area.estimator

    @property
    def model_key(self) -> str:
        return self.provenance.model_key or f"{self.ref.model_name}@{self.ref.model_version}"

    def published_rows(self) -> list[CommunityRow]:
        return self.memo("published-rows", lambda: [r for r in self.rows.values() if r.published])

    def streets(self) -> dict[str, str | None]:
        """Community code → street code (what the readers' scopes are checked against)."""
        return self.memo("streets", lambda: {c: m.street for c, m in self.meta.items()})

    def to_wave_result(self) -> WaveResult:
        """The snapshot as the engine's result (for ``scoring.trend.compare_waves``).

        Built from the parsed rows, so suppressed communities have no figure here either.
        """
        rows = list(self.rows.values())
        m = len(rows)

        def col(get: Callable[[CommunityRow], Any]) -> np.ndarray:
            return np.array([np.nan if (v := get(r)) is None else v for r in rows], dtype=float)

        def grid(codes: tuple[str, ...], get: Callable[[CommunityRow, str], Any]) -> np.ndarray:
            out = np.array(
                [[np.nan if (v := get(r, c)) is None else v for c in codes] for r in rows],
                dtype=float,
            )
            return out.reshape(m, len(codes))

        def dim(part: int) -> np.ndarray:
            return grid(self.dimension_codes, lambda r, c: r.dimension(c)[part])

        def item(part: int) -> np.ndarray:
            empty = ItemFigures(None, None, None, None)
            return grid(self.item_codes, lambda r, c: r.items.get(c, empty)[part])

        return WaveResult(
            community_codes=tuple(r.code for r in rows),
            dimension_codes=self.dimension_codes,
            subdimension_codes=self.subdimension_codes,
            item_codes=self.item_codes,
            n=np.array([r.n or 0 for r in rows], dtype=np.int64),
            n_eff=col(lambda r: r.n_eff),
            deff=col(lambda r: r.deff),
            index=col(lambda r: r.index),
            se=col(lambda r: r.se),
            ci_low=col(lambda r: r.ci_low),
            ci_high=col(lambda r: r.ci_high),
            rank=col(lambda r: r.rank),
            rank_low=col(lambda r: r.rank_low),
            rank_high=col(lambda r: r.rank_high),
            grade=[r.grade for r in rows],
            suppressed=np.array([r.suppressed for r in rows], dtype=bool),
            suppression_reason=[r.reason for r in rows],
            note=[r.note for r in rows],
            dim_score=dim(0),
            dim_se=dim(1),
            dim_ci_low=dim(2),
            dim_ci_high=dim(3),
            sub_score=grid(self.subdimension_codes, lambda r, c: r.subdimensions.get(c)),
            item_score=item(0),
            item_n=np.nan_to_num(item(1)).astype(np.int64),
            item_dk_rate=item(2),
            item_pct_positive=item(3),
            osi=col(lambda r: r.osi.score),
            osi_se=col(lambda r: r.osi.se),
            osi_ci_low=col(lambda r: r.osi.ci_low),
            osi_ci_high=col(lambda r: r.osi.ci_high),
            dimension_weights=np.array(
                [
                    np.nan if (w := self.dimension_weights.get(c)) is None else w
                    for c in self.dimension_codes
                ],
                dtype=float,
            ),
            effective_item_weights=np.array(
                [
                    np.nan if (w := self.effective_item_weights.get(c)) is None else w
                    for c in self.item_codes
                ],
                dtype=float,
            ),
            provenance=dict(self.provenance.raw),
            weights_info=dict(self.weights_info),
        )


# ---- parsing -------------------------------------------------------------------------------


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _estimate(node: Mapping[str, Any]) -> Estimate:
    return Estimate(node["score"], node["se"], node["ci_low"], node["ci_high"])


def _priorities(raw: Mapping[str, Any] | None) -> CommunityPriorities | None:
    if not raw:
        return None
    return CommunityPriorities(
        tuple(raw.get("improve_first") or ()),
        tuple(raw.get("keep_up") or ()),
        tuple(raw.get("stated_top") or ()),
        quadrants={str(c): str(q) for c, q in (raw.get("quadrants") or {}).items()},
        gaps=_floats(raw.get("gaps")),
        performance_se=_floats(raw.get("performance_se")),
    )


def _floats(raw: Mapping[str, Any] | None) -> dict[str, float | None]:
    return {str(c): _float(v) for c, v in (raw or {}).items()}


def _grade_prob(raw: Mapping[str, Any] | None) -> dict[str, float] | None:
    return None if raw is None else {str(k): float(v) for k, v in raw.items()}


def parse_row(raw: Mapping[str, Any]) -> CommunityRow:
    """One stored community row; a suppressed (or index-less) row keeps code, n and reason.

    The fields ``WaveResult.row`` writes are read by key, so a field renamed there raises
    ``KeyError`` here (tests/api/test_read_models.py) instead of blanking a page; only what a
    snapshot may lack (priorities, grade probabilities) is optional.
    """
    code = str(raw["code"])
    n = _int(raw["n"])
    if raw["suppressed"] or raw["index"] is None:
        reason = note_code(raw["suppression_reason"], Note.INSUFFICIENT_SAMPLE)
        return CommunityRow(code, n, True, reason or Note.INSUFFICIENT_SAMPLE)
    items = {
        c: ItemFigures(it["score"], it["n"], it["dk_rate"], it["pct_positive"])
        for c, it in raw["items"].items()
    }
    return CommunityRow(
        code=code,
        n=n,
        suppressed=False,
        reason=None,
        note=note_code(raw["note"], Note.SMALL_SAMPLE),
        n_eff=raw["n_eff"],
        deff=raw["deff"],
        index=float(raw["index"]),
        se=raw["se"],
        ci_low=raw["ci_low"],
        ci_high=raw["ci_high"],
        rank=_int(raw["rank"]),
        rank_low=_int(raw["rank_low"]),
        rank_high=_int(raw["rank_high"]),
        grade=raw["grade"],
        grade_prob=_grade_prob(raw.get("grade_prob")),
        borderline=None if raw.get("borderline") is None else bool(raw["borderline"]),
        osi=Estimate(raw["osi"], raw["osi_se"], raw["osi_ci_low"], raw["osi_ci_high"]),
        dimensions={c: _estimate(d) for c, d in raw["dimensions"].items()},
        subdimensions={c: s["score"] for c, s in raw["subdimensions"].items()},
        items=items,
        priorities=_priorities(raw.get("priorities")),
    )


def parse_meta(raw: Mapping[str, Any]) -> CommunityMeta:
    return CommunityMeta(
        code=str(raw["code"]),
        name=raw.get("name"),
        street=raw.get("street"),
        street_name=raw.get("street_name"),
        housing_type=raw.get("housing_type"),
        responses=_int(raw.get("responses")),
        sample_cells=tuple(int(v) for v in raw.get("sample_cells") or ()),
        population_cells=tuple(float(v) for v in raw.get("population_cells") or ()),
        exclusions=raw.get("exclusions"),
        population=_int(raw.get("population")),
        predecessors=tuple(
            (str(p["code"]), float(p.get("share", 1.0))) for p in raw.get("predecessors") or ()
        ),
    )


def parse_provenance(raw: Mapping[str, Any] | None) -> Provenance:
    prov = dict(raw or {})
    definition: Mapping[str, Any] = prov.get("model_definition") or {}
    bands = definition.get("grade_bands")
    return Provenance(
        model_key=None if prov.get("model_key") is None else str(prov["model_key"]),
        preset=None if prov.get("preset") is None else str(prov["preset"]),
        ci_level=float(prov.get("ci_level") or definition.get("ci_level") or 0.9),
        min_n=int(prov.get("min_n") or definition.get("min_n") or 30),
        trend_threshold=float(definition.get("trend_threshold") or 3.0),
        grade_bands=tuple((str(name), _float(low)) for name, low in bands)
        if bands
        else DEFAULT_BANDS,
        bootstrap=_int(prov.get("bootstrap")),
        random_state=_int(prov.get("random_state")),
        data_sha256=prov.get("data_sha256"),
        model_definition=definition,
        raw=prov,
    )


def parse_district_priorities(raw: Mapping[str, Any] | None) -> DistrictPriorities | None:
    if not raw:
        return None
    return DistrictPriorities(
        importance={str(c): float(v) for c, v in (raw.get("importance") or {}).items()},
        importance_method=raw.get("importance_method"),
        performance_cut=_float(raw.get("performance_cut")),
        error=raw.get("error"),
        importance_low=_floats(raw.get("importance_low")),
        importance_high=_floats(raw.get("importance_high")),
        importance_cut=_float(raw.get("importance_cut")),
        performance_cuts=_floats(raw.get("performance_cuts")),
        level=_float(raw.get("level")),
    )


def parse_reliability(raw: Mapping[str, Any] | None) -> Reliability | None:
    if not raw:
        return None
    blocks = {}
    for code, b in raw.items():
        if code.startswith("_") or not isinstance(b, Mapping):
            continue  # "_rows_used" and other run-level entries
        ci = [*(b.get("alpha_ci") or ()), None, None]
        blocks[str(code)] = BlockReliability(
            code=str(b.get("code", code)),
            items=tuple(b.get("items") or ()),
            n=_int(b.get("n")),
            alpha=_float(b.get("alpha")),
            alpha_ci=(_float(ci[0]), _float(ci[1])),
            omega=_float(b.get("omega")),
            kmo=_float(b.get("kmo")),
            bartlett_p=_float(b.get("bartlett_p")),
            notes=tuple(str(n) for n in b.get("notes") or ()),
            icc1=_float(b.get("icc1")),
            icc2=_float(b.get("icc2")),
        )
    return Reliability(blocks, _int(raw.get("_rows_used")))


def _fit(raw: Mapping[str, Any] | None) -> SmallAreaFit | None:
    if not raw:
        return None
    return SmallAreaFit(
        method=str(raw["method"]),
        design=str(raw["design"]),
        sigma2_v=float(raw["sigma2_v"]),
        level=float(raw.get("level") or 0.9),
        communities={
            str(c): SmallAreaEstimate(
                float(e["estimate"]),
                float(e["mse"]),
                float(e["ci_low"]),
                float(e["ci_high"]),
                float(e["gamma"]),
            )
            for c, e in raw["communities"].items()
        },
    )


def parse_small_area(raw: Mapping[str, Any] | None) -> SmallArea | None:
    """A snapshot's ``small_area``; older ones have no dimensions and no estimator (direct)."""
    overall = _fit(raw)
    if raw is None or overall is None:
        return None
    estimator = str(raw.get("estimator") or "direct")
    ranks = raw.get("ranks")
    if estimator != "direct" and not ranks:
        estimator = "direct"  # nothing to rank by: the bootstrap ranks stand
    return SmallArea(
        overall=overall,
        dimensions={str(d): _fit(f) for d, f in (raw.get("dimensions") or {}).items()},
        estimator=estimator,
        estimator_note=raw.get("estimator_note"),
        ranks=ranks if estimator != "direct" else None,
    )


def _ranked_by(rows: dict[str, CommunityRow], ranks: Mapping[str, Any]) -> dict[str, CommunityRow]:
    """Rows whose rank and rank interval are the EBLUP ones (``SmallArea.ranks``)."""
    by_code = ranks.get("communities") or {}
    out = {}
    for code, row in rows.items():
        r = by_code.get(code)
        if row.published and r is not None:
            row = replace(
                row, rank=int(r["rank"]), rank_low=int(r["rank_low"]), rank_high=int(r["rank_high"])
            )
        out[code] = row
    return out


def parse_results(ref: SnapshotRef, results: Mapping[str, Any]) -> ResultsView:
    """The read model of a snapshot's ``results`` (see the module docstring)."""
    codes = results.get("codes") or {}
    rows = {}
    for raw in results.get("communities") or ():
        try:
            row = parse_row(raw)
        except KeyError as exc:
            raise SnapshotFormatError(
                f"snapshot {ref.id}: community row {raw.get('code')!r} has no field {exc}; "
                "was WaveResult.to_dict changed without api/services/read_models.py?"
            ) from None
        rows[row.code] = row
    small_area = parse_small_area(results.get("small_area"))
    rank_groups = results.get("rank_sets")
    if small_area is not None and small_area.ranks is not None:
        # the weight model ranks by EBLUP: every reader of rank, rank interval and rank sets
        # gets those (the direct ones stay in the stored rows, and in small_area for audit)
        rows = _ranked_by(rows, small_area.ranks)
        rank_groups = small_area.ranks.get("joint")
    return ResultsView(
        ref=ref,
        provenance=parse_provenance(results.get("provenance")),
        dimension_codes=tuple(codes.get("dimensions") or ()),
        subdimension_codes=tuple(codes.get("subdimensions") or ()),
        item_codes=tuple(codes.get("items") or ()),
        dimension_weights=dict(results.get("dimension_weights") or {}),
        effective_item_weights=dict(results.get("effective_item_weights") or {}),
        weights_info=dict(results.get("weights_info") or {}),
        n_ranked=int(results.get("n_ranked") or 0),
        strata_labels=tuple(results.get("strata_labels") or ()),
        priorities=parse_district_priorities(results.get("priorities")),
        reliability=parse_reliability(results.get("reliability")),
        rows=rows,
        meta={m.code: m for m in map(parse_meta, results.get("community_meta") or ())},
        exclusions=results.get("exclusions"),
        framework_fingerprint=results.get("framework_fingerprint"),
        small_area=small_area,
        rank_sets=rank_groups,
    )
