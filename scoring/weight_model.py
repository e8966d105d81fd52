"""Named, versioned weight models (COINr's "weight sets"): weights plus every method choice.

A model is plain data (JSON round-trip). Dimension weights are either numbers or a method spec
resolved at scoring time; data-driven methods (entropy, CRITIC, PCA, derived importance) depend
on the set of communities, so a published model should be frozen with the weights it resolved
to (:meth:`WeightModel.freeze`) before it is used for trends.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from scoring.aggregate import TreeSpec
from scoring.errors import WeightModelError
from scoring.framework import Framework
from scoring.rescale import PRESETS

AGGREGATIONS = ("arithmetic", "geometric")
AGG_LEVELS = ("subdimension", "dimension", "overall")
METHODS = ("equal", "fixed", "ahp", "entropy", "critic", "pca", "derived", "combined")
DATA_DRIVEN = ("entropy", "critic", "pca", "derived")
# how a community's ranks and change labels are estimated (docs/methods.md, "Fay–Herriot"):
# the direct survey estimate, or the Fay–Herriot EBLUP that borrows from the street
ESTIMATORS = ("direct", "fay_herriot")
DEFAULT_BANDS: list[list[Any]] = [["优", 90.0], ["良", 80.0], ["中", 60.0], ["差", None]]

EXPERT_V0_MATRIX = [
    [1, 1 / 2, 1 / 2, 1, 1, 1],
    [2, 1, 1, 2, 1, 1],
    [2, 1, 1, 2, 1, 1],
    [1, 1 / 2, 1 / 2, 1, 1, 1],
    [1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1],
]


@dataclass
class WeightModel:
    """Weights and method choices for one index, identified by ``name`` and ``version``.

    Attributes
    ----------
    dimension_weights : ``None`` (equal), ``{code: weight}``, or a method spec:
        ``{"method": "equal"}``, ``{"method": "fixed", "weights": {...}}``,
        ``{"method": "ahp", "matrix": [[...]], "ri_table": "saaty", "max_cr": 0.1}``,
        ``{"method": "entropy" | "critic" | "pca"}``, ``{"method": "derived",
        "estimator": "ridge"}`` (importance for the OSI), or ``{"method": "combined",
        "subjective": spec, "objective": spec, "alpha": 0.5, "combine": "linear"}``.
    subdimension_weights, item_weights : ``{code: weight}`` covering every code, or empty (equal).
    aggregation : how a node combines its children, keyed by level (``"subdimension"``,
        ``"dimension"``, ``"overall"``) or by node code (overrides the level).
    outcome_weights : weights of O1..O3 in the OSI (equal when empty).
    grade_bands : ``[[label, lower bound], ...]`` from the top; the last bound is ``None``.
    estimator : ``"direct"`` (default) or ``"fay_herriot"``: what ranks and change labels use.
        The published index is always the direct estimate; with ``"fay_herriot"`` ranks and
        change labels use each community's EBLUP with √MSE (models stored before this field
        read as ``"direct"``).
    min_valid_share : a response counts (is scored) only when at least this share of the
        index items is answered, don't-know not counting (default 0.5; 0 turns the rule off).
        Stored models without the field load with the default.

    Examples
    --------
    >>> m = WeightModel(name="t", version=1, dimension_weights={"method": "entropy"})
    >>> WeightModel.from_dict(m.to_dict()) == m
    True

    ``version`` is an integer (as the database's); a numeric string, as older stored
    definitions have, is read as its number:

    >>> WeightModel.from_dict({"name": "old", "version": "2"}).version
    2
    """

    name: str
    version: int = 1
    description: str = ""
    preset: str = "ptm"
    dimension_weights: dict[str, Any] | None = None
    subdimension_weights: dict[str, float] = field(default_factory=dict)
    item_weights: dict[str, float] = field(default_factory=dict)
    aggregation: dict[str, str] = field(default_factory=dict)
    outcome_weights: dict[str, float] = field(default_factory=dict)
    min_coverage: float = 0.5
    # coverage rules of item means in a community's index (scoring/coverage.py)
    min_item_n: int = 10
    min_item_share: float = 0.5
    # a response is valid only with at least this share of the index items answered (issue 12)
    min_valid_share: float = 0.5
    min_n: int = 30
    flag_n: int = 100
    grade_bands: list[list[Any]] = field(default_factory=lambda: copy.deepcopy(DEFAULT_BANDS))
    trend_threshold: float = 3.0
    ci_level: float = 0.90
    estimator: str = "direct"
    frozen_from: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.version = _version_number(self.version)

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (the stored form)."""
        return copy.deepcopy(asdict(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WeightModel:
        """Inverse of :meth:`to_dict`; unknown keys are an error (typos must not pass)."""
        known = set(cls.__dataclass_fields__)
        extra = set(d) - known
        if extra:
            raise WeightModelError(f"unknown weight model field(s): {sorted(extra)}")
        if "name" not in d:
            raise WeightModelError("weight model needs a name")
        return cls(**copy.deepcopy(d))

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"

    # -- specs -----------------------------------------------------------------------------------
    def dimension_spec(self) -> dict[str, Any]:
        """The dimension weights as a method spec (plain numbers become ``fixed``)."""
        dw = self.dimension_weights
        if dw is None:
            return {"method": "equal"}
        if "method" in dw:
            return dw
        return {"method": "fixed", "weights": dw}

    @property
    def is_data_driven(self) -> bool:
        return _uses_data(self.dimension_spec())

    # -- validation ------------------------------------------------------------------------------
    def validate(self, framework: Framework) -> None:
        """Check the model against a framework; raise :class:`WeightModelError` saying what.

        Checks presets and aggregation names, unknown/missing codes, negative or all-zero
        weights (per parent), bands, thresholds, and AHP consistency (CR < max_cr, the error
        names the most inconsistent judgement).

        Examples
        --------
        >>> from scoring.framework import Framework, default_framework_dict
        >>> fw = Framework.from_dict(default_framework_dict())
        >>> builtin_model("expert-v0").validate(fw)
        """
        if self.preset not in PRESETS:
            raise WeightModelError(
                f"unknown rescaling preset {self.preset!r}; use one of {PRESETS}"
            )
        for key, method in self.aggregation.items():
            if method not in AGGREGATIONS:
                raise WeightModelError(
                    f"aggregation {key!r}: {method!r} is not one of {AGGREGATIONS}"
                )
            nodes = (framework.root_code, *framework.dimension_codes, *framework.subdimension_codes)
            if key not in AGG_LEVELS and key not in nodes:
                raise WeightModelError(
                    f"aggregation key {key!r} is neither a level nor a node code"
                )
        if not 0 < self.min_coverage <= 1:
            raise WeightModelError("min_coverage must be in (0, 1]")
        if self.min_item_n < 0 or not 0 <= self.min_item_share <= 1:
            raise WeightModelError("need min_item_n ≥ 0 and 0 ≤ min_item_share ≤ 1")
        if not 0 <= self.min_valid_share <= 1:
            raise WeightModelError(
                f"min_valid_share must be in [0, 1] (share of index items answered); "
                f"got {self.min_valid_share}"
            )
        if not 0 < self.ci_level < 1:
            raise WeightModelError("ci_level must be in (0, 1)")
        if self.estimator not in ESTIMATORS:
            raise WeightModelError(
                f"estimator: {self.estimator!r} is not one of {', '.join(ESTIMATORS)}"
            )
        if self.min_n < 1 or self.flag_n < self.min_n:
            raise WeightModelError("need 1 ≤ min_n ≤ flag_n")
        if self.trend_threshold < 0:
            raise WeightModelError("trend_threshold must be ≥ 0")
        bounds = [b for _, b in self.grade_bands[:-1]]
        if (
            not self.grade_bands
            or self.grade_bands[-1][1] is not None
            or bounds != sorted(bounds, reverse=True)
            or any(b is None for b in bounds)
        ):
            raise WeightModelError("grade_bands: descending lower bounds, the last one None")
        _check_partial(
            self.subdimension_weights,
            framework.subdimension_codes,
            framework.dim_of_sub,
            framework.dimension_codes,
            "sub-dimension",
        )
        _check_partial(
            self.item_weights,
            framework.item_codes,
            framework.sub_of_item,
            framework.subdimension_codes,
            "item",
        )
        if self.outcome_weights:
            _check_numbers(self.outcome_weights, framework.outcome_codes, "outcome")
        _validate_spec(self.dimension_spec(), framework.dimension_codes)

    # -- resolution ------------------------------------------------------------------------------
    def resolve_dimension_weights(
        self,
        framework: Framework,
        dim_scores: np.ndarray | None = None,
        outcome: np.ndarray | None = None,
        *,
        variances: np.ndarray | None = None,
        respondents: RespondentData | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Dimension weights (D,), normalised, and a JSON-safe note of how they were obtained.

        ``dim_scores`` (m × D) and ``outcome`` (m,, the community OSI) are needed by
        data-driven methods only; rows with a NaN are dropped first. ``variances`` (m × D,
        the sampling variances SE² of ``dim_scores``) make entropy and CRITIC use the
        between-community *signal* (``entropy_signal_weights`` / ``critic_signal_weights``;
        refused with a :class:`WeightModelError` when no signal is left); without them
        the plain methods run (as if the means had no sampling error). ``respondents``
        (respondent dimension scores, OSI and community) make ``derived`` a respondent-level
        model with community fixed effects (within-community relative weights).
        """
        return _resolve(
            self.dimension_spec(),
            framework.dimension_codes,
            dim_scores,
            outcome,
            variances=variances,
            respondents=respondents,
        )

    def tree_spec(self, framework: Framework, dim_w: np.ndarray) -> TreeSpec:
        """The :class:`~scoring.aggregate.TreeSpec` for resolved dimension weights."""

        def weights(d: dict[str, float], codes: tuple[str, ...]) -> np.ndarray:
            return np.array([float(d.get(c, 1.0)) if d else 1.0 for c in codes])

        def geo(level: str, codes: tuple[str, ...]) -> np.ndarray:
            default = self.aggregation.get(level, "arithmetic")
            return np.array([self.aggregation.get(c, default) == "geometric" for c in codes])

        return TreeSpec(
            item_w=weights(self.item_weights, framework.item_codes),
            sub_w=weights(self.subdimension_weights, framework.subdimension_codes),
            dim_w=np.asarray(dim_w, dtype=float),
            geo_sub=geo("subdimension", framework.subdimension_codes),
            geo_dim=geo("dimension", framework.dimension_codes),
            geo_overall=bool(geo("overall", (framework.root_code,))[0]),
            min_coverage=self.min_coverage,
        )

    def freeze(
        self,
        resolved_weights: dict[str, float] | np.ndarray,
        framework: Framework | None = None,
        *,
        version: int | None = None,
    ) -> WeightModel:
        """A copy whose dimension weights are fixed numbers (the original spec kept in
        ``frozen_from``), so the published index no longer moves with the set of communities.

        Examples
        --------
        >>> m = WeightModel(name="e", dimension_weights={"method": "entropy"})
        >>> f = m.freeze({"D1": 0.6, "D2": 0.4}, version=2)
        >>> f.dimension_spec()["method"], f.frozen_from
        ('fixed', {'method': 'entropy'})
        """
        if not isinstance(resolved_weights, dict):
            if framework is None:
                raise WeightModelError("freeze needs the framework to name an array of weights")
            resolved_weights = dict(
                zip(framework.dimension_codes, map(float, resolved_weights), strict=True)
            )
        out = WeightModel.from_dict(self.to_dict())
        out.frozen_from = copy.deepcopy(self.dimension_spec())
        out.dimension_weights = {
            "method": "fixed",
            "weights": {k: float(v) for k, v in resolved_weights.items()},
        }
        if version is not None:
            out.version = _version_number(version)
        return out

    def grades(self, values: np.ndarray) -> np.ndarray:
        """Grade labels (object array, ``None`` for NaN) for scores on 0–100.

        Examples
        --------
        >>> WeightModel(name="x").grades(np.array([95.0, 89.99, 60.0, 59.9, np.nan])).tolist()
        ['优', '良', '中', '差', None]
        """
        values = np.asarray(values, dtype=float)
        labels = np.array([b[0] for b in self.grade_bands] + [None], dtype=object)
        bounds = np.array([b[1] for b in self.grade_bands[:-1]], dtype=float)
        # Count the bounds a value reaches: 0 → the top band is not reached → lower bands.
        idx = len(bounds) - (values[..., None] >= bounds[::-1]).sum(axis=-1)
        idx = np.where(np.isnan(values), len(self.grade_bands), idx)
        return labels[idx]


def _version_number(version: Any) -> int:
    """``version`` as an int: ints as they are, numeric strings (older stored definitions) as
    their number; anything else is a :class:`WeightModelError`."""
    if isinstance(version, int | np.integer) and not isinstance(version, bool):
        return int(version)
    if isinstance(version, str) and version.strip().isdecimal():
        return int(version)
    raise WeightModelError(f"weight model version must be a whole number; got {version!r}")


def _uses_data(spec: dict[str, Any]) -> bool:
    if spec.get("method") == "combined":
        return _uses_data(spec.get("subjective", {})) or _uses_data(spec.get("objective", {}))
    return spec.get("method") in DATA_DRIVEN


def _check_numbers(d: dict[str, Any], codes: tuple[str, ...], what: str) -> np.ndarray:
    unknown = [k for k in d if k not in codes]
    if unknown:
        raise WeightModelError(f"unknown {what} code(s) in weights: {', '.join(unknown)}")
    missing = [c for c in codes if c not in d]
    if missing:
        raise WeightModelError(f"{what} weights missing for: {', '.join(missing)}")
    w = np.array([d[c] for c in codes], dtype=float)
    bad = [c for c, v in zip(codes, w, strict=True) if not np.isfinite(v) or v < 0]
    if bad:
        raise WeightModelError(f"{what} weight(s) negative or not finite: {', '.join(bad)}")
    if w.sum() <= 0:
        raise WeightModelError(f"{what} weights sum to zero")
    return w


def _check_partial(
    d: dict[str, float],
    codes: tuple[str, ...],
    parent: np.ndarray,
    parent_codes: tuple[str, ...],
    what: str,
) -> None:
    if not d:
        return
    w = _check_numbers(d, codes, what)
    tot = np.bincount(parent, w, minlength=len(parent_codes))
    zero = [parent_codes[k] for k in np.flatnonzero(tot <= 0)]
    if zero:
        raise WeightModelError(f"{what} weights sum to zero under: {', '.join(zero)}")


def _validate_spec(spec: dict[str, Any], codes: tuple[str, ...]) -> None:
    from scoring import weighting

    method = spec.get("method")
    if method not in METHODS:
        raise WeightModelError(f"unknown weighting method {method!r}; use one of {METHODS}")
    if method == "fixed":
        _check_numbers(spec.get("weights") or {}, codes, "dimension")
    elif method == "ahp":
        matrix = spec.get("matrix")
        if matrix is None or np.shape(matrix) != (len(codes), len(codes)):
            raise WeightModelError(
                f"AHP matrix must be {len(codes)}×{len(codes)} (one row per "
                f"dimension: {', '.join(codes)})"
            )
        weighting.ahp_weights(
            matrix,
            ri_table=spec.get("ri_table", "saaty"),
            max_cr=spec.get("max_cr", 0.1),
            accept_inconsistent=spec.get("accept_inconsistent", False),
            labels=list(codes),
        )
    elif method == "combined":
        for part in ("subjective", "objective"):
            if not isinstance(spec.get(part), dict):
                raise WeightModelError(f"combined weights need a {part!r} spec")
            _validate_spec(spec[part], codes)
        if not 0 <= spec.get("alpha", 0.5) <= 1:
            raise WeightModelError("combined alpha must be in [0, 1]")


@dataclass(frozen=True)
class RespondentData:
    """Respondent-level inputs of derived weights: ``X`` (n × D) dimension scores (NaN =
    not answered), ``y`` (n,) the respondent's overall satisfaction and ``groups`` (n,) the
    community (the fixed effect)."""

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray


def _resolve(
    spec: dict[str, Any],
    codes: tuple[str, ...],
    X: np.ndarray | None,
    y: np.ndarray | None,
    *,
    variances: np.ndarray | None = None,
    respondents: RespondentData | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    from scoring import weighting

    method = spec.get("method")
    D = len(codes)
    if method == "equal":
        return np.full(D, 1.0 / D), {"method": "equal"}
    if method == "fixed":
        w = _check_numbers(spec.get("weights") or {}, codes, "dimension")
        return w / w.sum(), {"method": "fixed"}
    if method == "ahp":
        r = weighting.ahp_weights(
            spec["matrix"],
            ri_table=spec.get("ri_table", "saaty"),
            max_cr=spec.get("max_cr", 0.1),
            accept_inconsistent=spec.get("accept_inconsistent", False),
            labels=list(codes),
        )
        return np.asarray(r.weights, dtype=float), {"method": "ahp", **r.to_dict()}
    if method == "combined":
        ws, info_s = _resolve(spec["subjective"], codes, X, y)
        wo, info_o = _resolve(
            spec["objective"], codes, X, y, variances=variances, respondents=respondents
        )
        w = weighting.combine_weights(
            ws, wo, alpha=spec.get("alpha", 0.5), method=spec.get("combine", "linear")
        )
        return np.asarray(w, dtype=float), {
            "method": "combined",
            "subjective": info_s,
            "objective": info_o,
        }
    if method == "derived" and respondents is not None:
        return _derived_within(respondents, codes)
    if X is None:
        raise WeightModelError(f"method {method!r} needs the community-level matrix")
    X = np.asarray(X, dtype=float)
    rows = ~np.isnan(X).any(axis=1)
    if variances is not None:
        V = np.asarray(variances, dtype=float)
        if V.shape != X.shape:
            raise WeightModelError(f"variances {V.shape} must match the scores {X.shape}")
        rows &= np.isfinite(V).all(axis=1)
    if method == "derived":
        if y is None:
            raise WeightModelError("derived weights need the overall satisfaction outcome")
        rows &= ~np.isnan(y)
        di = weighting.derived_importance(
            X[rows], np.asarray(y)[rows], method=spec.get("estimator", "ridge")
        )
        return np.asarray(di.importances, dtype=float), {
            "method": "derived",
            "r2": di.r2,
            "n_communities": int(rows.sum()),
        }
    methods: dict[str, Callable[..., Any]] = {
        "entropy": weighting.entropy_weights,
        "critic": weighting.critic_weights,
        "pca": weighting.pca_weights,
    }
    fn = methods.get(str(method))
    if fn is None:
        raise WeightModelError(f"unknown weighting method {method!r}")
    if rows.sum() < 2:
        raise WeightModelError(f"method {method!r} needs at least 2 communities with scores")
    if method in ("entropy", "critic") and variances is not None:
        return _signal_weights(str(method), X[rows], V[rows], codes)
    w = np.asarray(fn(X[rows]), dtype=float)
    return w, {"method": method, "n_communities": int(rows.sum())}


def _signal_weights(
    method: str, X: np.ndarray, V: np.ndarray, codes: tuple[str, ...]
) -> tuple[np.ndarray, dict[str, Any]]:
    """Entropy / CRITIC on the between-community signal, with the variances in the info."""
    from scoring import weighting
    from scoring.errors import ScoringError

    fn = (
        weighting.entropy_signal_weights if method == "entropy" else weighting.critic_signal_weights
    )
    try:
        r = fn(X, V)
    except WeightModelError:
        raise
    except ScoringError as exc:
        raise WeightModelError(f"{method} dimension weights refused: {exc}") from None

    def named(a: np.ndarray) -> dict[str, float]:
        return dict(zip(codes, map(float, a), strict=True))

    return np.asarray(r.weights, dtype=float), {
        "method": method,
        "n_communities": int(X.shape[0]),
        "net_of_sampling_variance": True,
        "observed_variance": named(r.observed_var),
        "sampling_variance": named(r.sampling_var),
        "signal_variance": named(r.signal_var),
        "reliability": named(r.reliability),
    }


def _derived_within(
    data: RespondentData, codes: tuple[str, ...]
) -> tuple[np.ndarray, dict[str, Any]]:
    """Derived weights from respondents, community fixed effects: the within-community
    relative weights of the OSI on the dimension scores (``scoring.importance``)."""
    from scoring.importance import driver_importance

    r = driver_importance(data.X, data.y, data.groups, method="relative", B=0)
    return np.asarray(r.importance, dtype=float), {
        "method": "derived",
        "estimator": "within_relative_weights",
        "model": "respondent-level, community fixed effects (within-community centring), "
        "pairwise-complete correlations, Johnson relative weights",
        "r2": r.r2,
        "raw_relative_weights": dict(zip(codes, map(float, r.raw), strict=True)),
        "n_respondents": int(np.isfinite(data.y).sum()),
        "n_communities": int(np.unique(data.groups).size),
        "psd_adjusted": r.psd_adjusted,
    }


def builtin_model(name: str) -> WeightModel:
    """The shipped models: ``equal`` and ``expert-v0`` (DOMAIN.md, an illustrative AHP matrix).

    Examples
    --------
    >>> builtin_model("expert-v0").dimension_spec()["method"]
    'ahp'
    """
    if name == "equal":
        return WeightModel(
            name="equal", version=1, description="Equal weights at every level (等权重)."
        )
    if name == "expert-v0":
        return WeightModel(
            name="expert-v0",
            version=0,
            description="Placeholder AHP dimension weights (illustrative matrix from DOMAIN.md) "
            "until the research team's judgements replace it; equal weights below dimensions.",
            dimension_weights={"method": "ahp", "matrix": EXPERT_V0_MATRIX, "ri_table": "saaty"},
        )
    raise WeightModelError(f"no built-in weight model {name!r}; use 'equal' or 'expert-v0'")


BUILTIN_MODELS = ("equal", "expert-v0")
