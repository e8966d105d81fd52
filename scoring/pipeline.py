"""``score_wave``: one wave's arrays → a published :class:`~scoring.result.WaveResult`.

screen → rescale → survey weights → community aggregates → resolve weights → hierarchical
index → uncertainty → publication (suppression, grades) → diagnostics (reliability,
priorities). Each stage is a function in :mod:`scoring.stages` returning one frozen dataclass;
``score_wave`` only runs them in order and assembles the result with its provenance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from scoring import quality
from scoring.aggregate import effective_weights
from scoring.coverage import ItemCoverage
from scoring.data import SurveyData
from scoring.framework import Framework
from scoring.result import ENGINE_VERSION, WaveResult
from scoring.stages import (
    Aggregates,
    Diagnostics,
    IndexTree,
    Published,
    ResolvedWeights,
    Screened,
    SurveyWeights,
    aggregate,
    diagnose,
    hierarchical_index,
    publish,
    rescale,
    resolve_weights,
    screen,
    survey_weights,
    uncertainty,
)
from scoring.stages.uncertainty import bootstrap_steps
from scoring.weight_model import WeightModel

__all__ = ["IndexScorer", "score_wave", "screen"]


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
    progress: Callable[[int, int], None] | None = None,
    bootstrap_calibration: str = "auto",
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
    progress : told ``(replicates done, B)`` as the bootstrap runs (a job's progress display;
        the result does not depend on it).
    bootstrap_calibration : ``"auto"`` (re-rake every bootstrap replicate when the wave has
        margins), ``"reraked"`` or ``"fixed"`` (survey weights held fixed); see
        :mod:`scoring.stages.uncertainty`. Data-driven dimension weights are re-resolved in
        every replicate.

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
    screened = screen(
        data, framework, exclusion_policy, quality_flags, min_valid_share=model.min_valid_share
    )
    data = screened.data
    rescaled = rescale(data, framework, model.preset)
    sw = survey_weights(data)
    agg = aggregate(data, framework, model, rescaled, sw.weights)
    weights = resolve_weights(
        framework,
        model,
        agg,
        scores=rescaled.scores,
        outcomes=rescaled.outcomes,
        weights=sw.weights,
        group=data.group_index,
    )
    tree = hierarchical_index(framework, model, agg, weights)
    unc = uncertainty(
        data,
        framework,
        rescaled,
        sw.weights,
        agg,
        weights,
        tree,
        level=model.ci_level,
        node_se=node_se,
        bootstrap=bootstrap,
        random_state=random_state,
        progress=progress,
        model=model,
        bootstrap_calibration=bootstrap_calibration,
    )
    published = publish(model, agg, tree, unc)
    diag = (
        diagnose(
            data,
            framework,
            rescaled,
            sw.weights,
            agg,
            tree,
            random_state=random_state,
            spec=weights.spec,
            level=model.ci_level,
        )
        if diagnostics
        else Diagnostics()
    )
    if hasher is not None:
        hasher.join()
    provenance = _provenance(
        model,
        framework,
        screened,
        sw,
        data_sha256=digest.get("sha256"),
        random_state=random_state,
        bootstrap=bootstrap,
        se_method=unc.method,
        coverage=agg.coverage,
    )
    provenance.update(
        bootstrap_steps(
            data,
            model,
            bootstrap=bootstrap,
            node_se=node_se,
            bootstrap_calibration=bootstrap_calibration,
        )
    )
    return _result(framework, model, data, sw, agg, weights, tree, published, diag, provenance)


def _fingerprint_async(data: SurveyData) -> tuple[threading.Thread, dict[str, str]]:
    # hashlib releases the GIL on large buffers: hashing the input overlaps with scoring.
    box: dict[str, str] = {}
    t = threading.Thread(target=lambda: box.update(sha256=data.fingerprint()), daemon=True)
    t.start()
    return t, box


def _provenance(
    model: WeightModel,
    framework: Framework,
    screened: Screened,
    sw: SurveyWeights,
    *,
    data_sha256: str | None,
    random_state: int,
    bootstrap: int,
    se_method: str,
    coverage: ItemCoverage | None = None,
) -> dict[str, Any]:
    """What a reproduction needs: the model, framework, data hash, seed and method choices."""
    return {
        "model_key": model.key,
        "model": {"name": model.name, "version": model.version},
        "model_definition": model.to_dict(),
        "preset": model.preset,
        "framework": {"name": framework.name, "version": framework.version},
        "data_sha256": data_sha256,
        "n_input": screened.n_input,
        "n_scored": screened.data.n,
        "exclusions": screened.exclusions,
        "survey_weights": sw.info,
        "engine_version": ENGINE_VERSION,
        "random_state": random_state,
        "bootstrap": int(bootstrap) if se_method == "bootstrap" else 0,
        "se_method": se_method,
        "ci_level": model.ci_level,
        "min_n": model.min_n,
        "flag_n": model.flag_n,
        # item cells dropped by the coverage rules, respondents by the validity rule
        "coverage": {
            **({} if coverage is None else coverage.summary()),
            **screened.validity,
        }
        or None,
    }


def _result(
    framework: Framework,
    model: WeightModel,
    data: SurveyData,
    sw: SurveyWeights,
    agg: Aggregates,
    weights: ResolvedWeights,
    tree: IndexTree,
    published: Published,
    diag: Diagnostics,
    provenance: dict[str, Any],
) -> WaveResult:
    pub, unc, st = tree.publication, published.uncertainty, agg.items
    return WaveResult(
        community_codes=data.group_codes,
        dimension_codes=framework.dimension_codes,
        subdimension_codes=framework.subdimension_codes,
        item_codes=framework.item_codes,
        n=agg.n_answering,
        n_eff=sw.n_eff,
        deff=sw.deff,
        index=published.index,
        se=unc.se,
        ci_low=unc.ci_low,
        ci_high=unc.ci_high,
        rank=pub.rank,
        rank_low=unc.rank_low,
        rank_high=unc.rank_high,
        grade=published.grade,
        suppressed=pub.suppressed,
        suppression_reason=pub.reason,
        note=pub.note,
        dim_score=published.dim_score,
        dim_se=unc.dim_se,
        dim_ci_low=unc.dim_ci_low,
        dim_ci_high=unc.dim_ci_high,
        sub_score=published.sub_score,
        item_score=published.item_score,
        item_n=st.n.astype(np.int64),
        item_dk_rate=st.dk_rate,
        item_pct_positive=published.item_pct_positive,
        osi=published.osi,
        osi_se=unc.osi_se,
        osi_ci_low=unc.osi_ci_low,
        osi_ci_high=unc.osi_ci_high,
        dimension_weights=np.asarray(weights.dimension, dtype=float),
        effective_item_weights=effective_weights(framework, weights.spec),
        provenance=provenance,
        weights_info=weights.info,
        reliability=diag.reliability,
        priorities=diag.priorities,
        community_priorities=diag.community_priorities,
        **_grade_fields(published),
    )


def _grade_fields(published: Published) -> dict[str, Any]:
    """P(grade) per band and the 临界 flag per published community, from the bootstrap."""
    g = published.grade_probabilities
    if g is None:
        return {}
    ok: list[bool] = np.logical_not(np.isnan(g.prob).any(axis=1)).tolist()
    prob = [
        {label: float(p) for label, p in zip(g.labels, row, strict=True)} if good else None
        for row, good in zip(g.prob.tolist(), ok, strict=True)
    ]
    flags: list[bool] = g.borderline.tolist()
    borderline = [b if good else None for b, good in zip(flags, ok, strict=True)]
    return {
        "grade_prob": prob,
        "borderline": borderline,
        "index_reps": published.uncertainty.index_reps,
    }


class IndexScorer(BaseEstimator):
    """scikit-learn-style wrapper of :func:`score_wave` for notebooks.

    A scikit-learn ``BaseEstimator``: parameters are stored untouched (no logic in
    ``__init__``), so ``get_params``, ``set_params``, ``clone`` and ``repr`` come from
    scikit-learn; ``fit(data)`` scores the wave
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
