"""``score_wave``: one wave's arrays → a published :class:`~scoring.result.WaveResult`.

screen → rescale → survey weights → community aggregates → resolve weights → hierarchical
index → uncertainty → suppression, ranks, grades → reliability and priorities.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from scipy import stats as sps

from scoring import quality
from scoring.aggregate import (
    aggregate_tree,
    effective_weights,
    item_stats,
    linearised_node_se,
    node_gradients,
)
from scoring.bootstrap import bootstrap as run_bootstrap
from scoring.data import SurveyData
from scoring.errors import ScoringError
from scoring.framework import Framework
from scoring.rank import publication
from scoring.rescale import (
    LazyScores,
    overall_satisfaction_index,
    positive_indicator,
    rescale_outcomes,
)
from scoring.result import ENGINE_VERSION, WaveResult
from scoring.survey_weights import kish, rake
from scoring.weight_model import WeightModel


def screen(
    data: SurveyData,
    framework: Framework,
    policy: quality.ExclusionPolicy | dict[str, Any] | str | None,
    flags: quality.QualityFlags | None = None,
) -> tuple[SurveyData, dict[str, Any]]:
    """Apply an exclusion policy to quality flags (computed here unless given).

    Speeders need ``durations``; straight-lining is checked per dimension (blocks that contain
    reverse-keyed items); near-duplicates only when the policy excludes them (it is the costly
    rule). Returns the kept rows and the counts per rule.
    """
    if policy is None:
        return data, {"policy": None}
    if isinstance(policy, str):
        if policy != "default":
            raise ScoringError(f"unknown exclusion policy {policy!r}")
        policy = quality.ExclusionPolicy()
    elif isinstance(policy, dict):
        policy = quality.ExclusionPolicy.from_dict(policy)
    if flags is None:
        Xi = data.columns(framework.item_codes)
        answered = (~np.isnan(Xi)).sum(axis=1)
        kwargs: dict[str, Any] = {}
        if data.durations is not None and "speeder" in policy.exclude:
            kwargs["speeder"] = quality.speeder_flags(data.durations, answered)
        if "straightliner" in policy.exclude:
            blocks = [
                np.flatnonzero(framework.dim_of_item == d).tolist()
                for d in range(len(framework.dimension_codes))
            ]
            kwargs["straightliner"] = quality.straightlining_flags(
                Xi, blocks, framework.reverse
            ).flags
        if "duplicate" in policy.exclude:
            kwargs["duplicate"] = quality.near_duplicate_flags(Xi, data.group_index).flags
        flags = quality.QualityFlags(**kwargs)
        if not kwargs:
            flags = quality.QualityFlags(speeder=np.zeros(data.n, dtype=bool))
    keep, counts = quality.apply_exclusion_policy(flags, policy)
    info = {"policy": policy.to_dict(), "counts": counts}
    return (data if keep.all() else data.subset(keep)), info


def _fingerprint_async(data: SurveyData) -> tuple[threading.Thread, dict[str, str]]:
    # hashlib releases the GIL on large buffers: hashing the input overlaps with scoring.
    box: dict[str, str] = {}
    t = threading.Thread(target=lambda: box.update(sha256=data.fingerprint()), daemon=True)
    t.start()
    return t, box


def score_wave(
    data: SurveyData,
    framework: Framework,
    model: WeightModel,
    *,
    bootstrap: int = 1000,
    random_state: int = 0,
    exclusion_policy: quality.ExclusionPolicy | dict[str, Any] | str | None = None,
    quality_flags: quality.QualityFlags | None = None,
    node_se: str = "auto",
    diagnostics: bool = True,
    fingerprint: bool = True,
) -> WaveResult:
    """Score one wave: indices, intervals, ranks, grades and diagnostics per community.

    Parameters
    ----------
    data : the wave's arrays (items in ``framework.item_codes`` must be columns; outcomes
        O1–O3 are used for the OSI when present).
    framework, model : the index tree and the weight model (validated here).
    bootstrap : replicates B for SEs and percentile intervals of the index, dimensions, OSI and
        rank (0 disables the bootstrap).
    random_state : seed of the bootstrap (stored in the provenance).
    exclusion_policy : ``None`` (no screening), ``"default"``, a dict or an
        :class:`~scoring.quality.ExclusionPolicy`; ``quality_flags`` may supply precomputed flags.
    node_se : ``"auto"`` (bootstrap when B > 0, else linearisation), ``"linearised"`` or
        ``"none"`` (item SEs are always linearised).
    diagnostics : compute reliability per dimension and priorities (IPA, stated importance).
    fingerprint : store the sha256 of the input arrays in the provenance (hashed in a
        background thread; ``False`` only for throwaway runs such as benchmarks).

    Examples
    --------
    >>> from scoring.framework import default_framework_dict
    >>> from scoring.weight_model import builtin_model
    >>> fw = Framework.from_dict(default_framework_dict())
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(1, 6, size=(120, 36)).astype(float)
    >>> data = SurveyData(X, fw.item_codes, np.repeat([0, 1, 2], 40), ("A", "B", "C"))
    >>> res = score_wave(data, fw, builtin_model("equal"), bootstrap=50, diagnostics=False)
    >>> sorted(res.rank.tolist()), res.provenance["bootstrap"]
    ([1.0, 2.0, 3.0], 50)
    """
    model.validate(framework)
    hasher, digest = _fingerprint_async(data) if fingerprint else (None, {})
    n_input = data.n
    data, exclusions = screen(data, framework, exclusion_policy, quality_flags)
    m = data.m
    group = data.group_index
    Xi = data.columns(framework.item_codes)
    # Scores are rescaled block by block where they are used: no second n × p matrix.
    S = LazyScores(Xi, framework.points, framework.reverse, model.preset, framework.item_codes)
    has_outcomes = bool(framework.outcome_codes) and all(
        c in data.codes for c in framework.outcome_codes
    )
    Q = (
        rescale_outcomes(
            data.columns(framework.outcome_codes), framework.outcome_low, framework.outcome_high
        )
        if has_outcomes
        else None
    )

    # Survey weights.
    raking: dict[str, Any] = {"method": "none"}
    if data.margins is not None and data.strata is not None:
        rk = rake(
            group, data.strata, data.margins, data.margin_shape, base_weights=data.base_weights
        )
        w = rk.weights
        raking = {
            "method": "raking",
            "margins": list(data.margin_shape or ()),
            "trim": [0.3, 3.0],
            "iterations": rk.iterations,
            "not_converged": int((~rk.converged).sum()),
            "uncovered_categories": int(rk.uncovered_categories.sum()),
            "trimmed_rows": int(rk.trimmed.sum()),
        }
        deff, n_eff = rk.deff, rk.n_eff
    else:
        w = np.ones(data.n) if data.base_weights is None else data.base_weights
        deff, n_eff = kish(w, group, m)

    # Community aggregates.
    st = item_stats(
        S,
        w,
        group,
        m,
        positive=lambda a, b: positive_indicator(Xi[a:b], framework.points, framework.reverse),
    )
    answered_any = st.n_answering
    out_w = (
        np.array([model.outcome_weights.get(c, 1.0) for c in framework.outcome_codes])
        if model.outcome_weights
        else None
    )
    if Q is not None:
        ost = item_stats(Q, w, group, m)
        osi = overall_satisfaction_index(ost.mean, out_w)
    else:
        osi = np.full(m, np.nan)

    # Weights: data-driven methods see the dimension scores of publishable communities only.
    eligible = answered_any >= model.min_n
    if model.is_data_driven:
        pre = aggregate_tree(
            st.mean, framework, model.tree_spec(framework, np.ones(len(framework.dimension_codes)))
        )
        dim_w, info = model.resolve_dimension_weights(framework, pre.dim[eligible], osi[eligible])
    else:
        dim_w, info = model.resolve_dimension_weights(framework)
    spec = model.tree_spec(framework, dim_w)
    tree = aggregate_tree(st.mean, framework, spec)
    pub = publication(tree.overall, answered_any, min_n=model.min_n, flag_n=model.flag_n)
    ok = ~pub.suppressed

    # Uncertainty.
    level = model.ci_level
    D = len(framework.dimension_codes)
    nan_m = np.full(m, np.nan)
    se, lo, hi = nan_m.copy(), nan_m.copy(), nan_m.copy()
    rank_lo, rank_hi = nan_m.copy(), nan_m.copy()
    dim_se = np.full((m, D), np.nan)
    dim_lo, dim_hi = dim_se.copy(), dim_se.copy()
    osi_se, osi_lo, osi_hi = nan_m.copy(), nan_m.copy(), nan_m.copy()
    se_method = "none"
    if bootstrap > 0 and node_se in ("auto", "bootstrap"):
        bs = run_bootstrap(
            S,
            w,
            group,
            m,
            framework,
            spec,
            outcomes=Q,
            outcome_weights=out_w,
            B=bootstrap,
            random_state=random_state,
            level=level,
            rank_mask=ok,
        )
        se, (lo, hi) = bs.index_se, bs.index_ci
        dim_se, (dim_lo, dim_hi) = bs.dim_se, bs.dim_ci
        osi_se, (osi_lo, osi_hi) = bs.osi_se, bs.osi_ci
        rank_lo, rank_hi = bs.rank_low, bs.rank_high
        se_method = "bootstrap"
    elif node_se in ("auto", "linearised"):
        grads = node_gradients(st.mean, framework, spec, tree)
        node = linearised_node_se(S, w, group, st, grads)
        z = sps.norm.ppf(0.5 + level / 2)
        se, dim_se = node[:, 0], node[:, 1:]
        lo, hi = tree.overall - z * se, tree.overall + z * se
        dim_lo, dim_hi = tree.dim - z * dim_se, tree.dim + z * dim_se
        if Q is not None:
            osi_g = np.zeros((m, Q.shape[1], 1))
            avail = ~np.isnan(ost.mean)
            osi_g[:, :, 0] = avail * (out_w if out_w is not None else 1.0)
            osi_g /= np.maximum(osi_g.sum(axis=1, keepdims=True), 1e-300)
            osi_se = linearised_node_se(Q, w, group, ost, osi_g)[:, 0]
            osi_lo, osi_hi = osi - z * osi_se, osi + z * osi_se
        se_method = "linearised"
    elif node_se != "none":
        raise ScoringError("node_se must be 'auto', 'bootstrap', 'linearised' or 'none'")

    index = tree.overall.copy()
    reliability = community_priorities = priorities = None
    if diagnostics:
        from scoring.diagnostics import wave_diagnostics

        reliability, priorities, community_priorities = wave_diagnostics(
            data, framework, S, Q, w, tree.sub, st, out_w, pub.suppressed, random_state=random_state
        )

    # Suppressed communities publish nothing but their n (and why).
    sup = pub.suppressed
    blank = [index, se, lo, hi, osi, osi_se, osi_lo, osi_hi, rank_lo, rank_hi]
    for a in blank:
        a[sup] = np.nan
    dim_score, sub_score = tree.dim.copy(), tree.sub.copy()
    item_score, pct = st.mean.copy(), st.pct_positive
    assert pct is not None
    for a2 in (dim_score, dim_se, dim_lo, dim_hi, sub_score, item_score, pct):
        a2[sup] = np.nan
    if community_priorities is not None:
        community_priorities = [
            None if s else cp for s, cp in zip(sup, community_priorities, strict=True)
        ]
    grade = list(model.grades(index))

    if hasher is not None:
        hasher.join()
    provenance = {
        "model_key": model.key,
        "model": {"name": model.name, "version": model.version},
        "model_definition": model.to_dict(),
        "preset": model.preset,
        "framework": {"name": framework.name, "version": framework.version},
        "data_sha256": digest.get("sha256"),
        "n_input": n_input,
        "n_scored": data.n,
        "exclusions": exclusions,
        "survey_weights": raking,
        "engine_version": ENGINE_VERSION,
        "random_state": random_state,
        "bootstrap": int(bootstrap) if se_method == "bootstrap" else 0,
        "se_method": se_method,
        "ci_level": level,
        "min_n": model.min_n,
        "flag_n": model.flag_n,
    }
    return WaveResult(
        community_codes=data.group_codes,
        dimension_codes=framework.dimension_codes,
        subdimension_codes=framework.subdimension_codes,
        item_codes=framework.item_codes,
        n=answered_any,
        n_eff=n_eff,
        deff=deff,
        index=index,
        se=se,
        ci_low=lo,
        ci_high=hi,
        rank=pub.rank,
        rank_low=rank_lo,
        rank_high=rank_hi,
        grade=grade,
        suppressed=sup,
        suppression_reason=pub.reason,
        note=pub.note,
        dim_score=dim_score,
        dim_se=dim_se,
        dim_ci_low=dim_lo,
        dim_ci_high=dim_hi,
        sub_score=sub_score,
        item_score=item_score,
        item_n=st.n.astype(np.int64),
        item_dk_rate=st.dk_rate,
        item_pct_positive=pct,
        osi=osi,
        osi_se=osi_se,
        osi_ci_low=osi_lo,
        osi_ci_high=osi_hi,
        dimension_weights=np.asarray(dim_w, dtype=float),
        effective_item_weights=effective_weights(framework, spec),
        provenance=provenance,
        weights_info=info,
        reliability=reliability,
        priorities=priorities,
        community_priorities=community_priorities,
    )


class IndexScorer:
    """scikit-learn-style wrapper of :func:`score_wave` for notebooks.

    Parameters are stored untouched (no logic in ``__init__``); ``fit(data)`` scores the wave
    and sets ``result_`` (the :class:`WaveResult`), ``scores_`` (index per community) and
    ``dimension_weights_``.

    Examples
    --------
    >>> from scoring.framework import default_framework_dict
    >>> from scoring.weight_model import builtin_model
    >>> fw = Framework.from_dict(default_framework_dict())
    >>> X = np.random.default_rng(1).integers(1, 6, size=(80, 36)).astype(float)
    >>> data = SurveyData(X, fw.item_codes, np.repeat([0, 1], 40), ("A", "B"))
    >>> est = IndexScorer(fw, builtin_model("equal"), bootstrap=0).fit(data)
    >>> est.scores_.shape
    (2,)
    """

    def __init__(
        self,
        framework: Framework,
        model: WeightModel,
        *,
        bootstrap: int = 1000,
        random_state: int = 0,
        exclusion_policy: Any = None,
        diagnostics: bool = False,
    ) -> None:
        self.framework = framework
        self.model = model
        self.bootstrap = bootstrap
        self.random_state = random_state
        self.exclusion_policy = exclusion_policy
        self.diagnostics = diagnostics

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {
            k: getattr(self, k)
            for k in (
                "framework",
                "model",
                "bootstrap",
                "random_state",
                "exclusion_policy",
                "diagnostics",
            )
        }

    def set_params(self, **params: Any) -> IndexScorer:
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def fit(self, data: SurveyData, y: Any = None) -> IndexScorer:
        self.result_ = score_wave(
            data,
            self.framework,
            self.model,
            bootstrap=self.bootstrap,
            random_state=self.random_state,
            exclusion_policy=self.exclusion_policy,
            diagnostics=self.diagnostics,
        )
        self.scores_ = self.result_.index
        self.dimension_weights_ = self.result_.dimension_weights
        return self
