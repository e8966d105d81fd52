"""Response data (``survey``) → the scoring package, for notebooks and the services.

The one place where a :class:`survey.research.ResearchData` (or the database's
:class:`survey.storage.matrix.WaveMatrix`, which has the same array fields) becomes a
:class:`scoring.data.SurveyData`, plus the few steps every notebook repeats: the index tree,
scoring with the seed snapshots use, quality flags, don't-know rates, reliability per
dimension and the community-level matrix the data-driven weighting methods take.

Typical use::

    from survey.research import load_research_data
    from api.services.bridge import score
    data = load_research_data(wave="2026Q2")      # or read_export(...), client.response_data(...)
    result = score(data, "expert-v0", bootstrap=200)
    result.to_frames()["communities"]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from scoring import quality
from scoring.data import SurveyData
from scoring.framework import Framework
from scoring.reliability import BlockReliability, reliability_report
from scoring.result import WaveResult
from scoring.weight_model import WeightModel, builtin_model
from survey.research import ResearchData

# The seed of every stored snapshot's bootstrap and Monte Carlo draws, fixed so that recomputing
# a snapshot from the same data and model (here in a notebook, or api.services.snapshots)
# reproduces it exactly.
RANDOM_STATE = 20260501


class MatrixLike(Protocol):
    """The array fields :class:`~survey.storage.matrix.WaveMatrix` and ``ResearchData`` share."""

    @property
    def X(self) -> np.ndarray: ...
    @property
    def codes(self) -> list[str]: ...
    @property
    def community_index(self) -> np.ndarray: ...
    @property
    def community_codes(self) -> list[str]: ...
    @property
    def strata(self) -> np.ndarray: ...
    @property
    def stratum_labels(self) -> list[str]: ...
    @property
    def margins(self) -> np.ndarray: ...
    @property
    def durations(self) -> np.ndarray: ...
    @property
    def priorities(self) -> np.ndarray: ...


def margin_shape(stratum_labels: list[str]) -> tuple[int, int] | None:
    """The (age bands, genders) grid of the weighting cells, read from their ``"age|gender"``
    labels (the first part varying slowest), so no number of genders is assumed."""
    if not stratum_labels:
        return None
    parts = [label.split("|", 1) for label in stratum_labels]
    ages = list(dict.fromkeys(p[0] for p in parts))
    genders = list(dict.fromkeys(p[-1] for p in parts))
    grid = [f"{a}|{g}" for a in ages for g in genders]
    if grid != list(stratum_labels):
        raise ValueError(f"weighting cells are not an age × gender grid: {stratum_labels}")
    return len(ages), len(genders)


def to_survey_data(data: MatrixLike) -> SurveyData:
    """The scoring package's view of one wave's answers (snapshots use it too, so the same
    responses give the same ``SurveyData.fingerprint()`` in a notebook and in a snapshot).

    The one place the two vocabularies meet: survey's ``community_index``/``community_codes``
    are scoring's ``group_index``/``group_codes`` (scoring aggregates any grouping).
    """
    cells = data.margins.shape[1]
    return SurveyData(
        X=data.X,
        codes=tuple(data.codes),
        group_index=data.community_index,
        group_codes=tuple(data.community_codes),
        strata=data.strata,
        margins=data.margins if cells else None,
        margin_shape=margin_shape(list(data.stratum_labels)) if cells else None,
        durations=data.durations,
        priorities=data.priorities,
    )


def framework_of(data: ResearchData) -> Framework:
    return Framework.from_dict(data.framework)


def as_model(model: str | Mapping[str, Any] | WeightModel) -> WeightModel:
    """A weight model from a built-in name, a JSON dict or a model."""
    if isinstance(model, WeightModel):
        return model
    if isinstance(model, str):
        return builtin_model(model)
    return WeightModel.from_dict(dict(model))


def score_matrix(
    data: MatrixLike,
    framework: Framework,
    model: WeightModel,
    *,
    bootstrap: int,
    random_state: int = RANDOM_STATE,
    **options: Any,
) -> WaveResult:
    """One wave's arrays → :func:`scoring.pipeline.score_wave`: the single call every scoring
    path makes (snapshots, freezing a model's weights, reproduction, notebooks), so equal data
    and model give equal numbers wherever they are computed."""
    from scoring.pipeline import score_wave  # the heavy numerics load only when scoring

    return score_wave(
        to_survey_data(data),
        framework,
        model,
        bootstrap=bootstrap,
        random_state=random_state,
        **options,
    )


def score(
    data: ResearchData,
    model: str | Mapping[str, Any] | WeightModel = "equal",
    *,
    bootstrap: int = 200,
    random_state: int | None = None,
    exclude: tuple[str, ...] | None = None,
    **kwargs: Any,
) -> WaveResult:
    """:func:`scoring.pipeline.score_wave` on the data (by default with the seed and the
    default exclusion policy snapshots use, so a notebook reproduces a snapshot of the same data
    and model). ``exclude=()`` scores every row, flagged or not."""
    from api.services.exclusions import DEFAULT_EXCLUDE, flags_of

    seed = RANDOM_STATE if random_state is None else random_state
    if "exclusion_policy" not in kwargs:
        kwargs["exclusion_policy"] = quality.ExclusionPolicy(
            exclude=DEFAULT_EXCLUDE if exclude is None else tuple(exclude)
        )
        kwargs.setdefault("quality_flags", flags_of(data, framework_of(data)))
    return score_matrix(
        data,
        framework_of(data),
        as_model(model),
        bootstrap=bootstrap,
        random_state=seed,
        **kwargs,
    )


def dimension_blocks(framework: Framework) -> dict[str, list[str]]:
    """Item codes per dimension (the blocks for reliability and straight-lining)."""
    return {
        d: [c for c, k in zip(framework.item_codes, framework.dim_of_item, strict=True) if k == j]
        for j, d in enumerate(framework.dimension_codes)
    }


def quality_flags(data: ResearchData, *, duplicates: bool = True) -> quality.QualityFlags:
    """Speeders, straight-liners (per dimension) and near-duplicates, as the pipeline's
    default exclusion policy computes them (METHODS.md §10)."""
    fw = framework_of(data)
    sd = to_survey_data(data)
    Xi = sd.columns(fw.item_codes)
    answered = (~np.isnan(Xi)).sum(axis=1)
    blocks = [np.flatnonzero(fw.dim_of_item == d).tolist() for d in range(len(fw.dimension_codes))]
    dup = quality.near_duplicate_flags(Xi, sd.group_index).flags if duplicates else None
    return quality.QualityFlags(
        speeder=quality.speeder_flags(data.durations, answered),
        straightliner=quality.straightlining_flags(Xi, blocks, fw.reverse).flags,
        duplicate=dup,
    )


def dont_know_rates(data: ResearchData) -> dict[str, float]:
    """Share of 不了解/不适用 among the answers given, per item (NaN: nobody answered)."""
    answered = data.dont_know | ~np.isnan(data.X)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = data.dont_know.sum(axis=0) / answered.sum(axis=0)
    return dict(zip(data.codes, rates.tolist(), strict=True))


def reliability(data: ResearchData, *, ci: float = 0.95) -> dict[str, BlockReliability]:
    """α (with CI), ω, item-total correlations, KMO and Bartlett per dimension."""
    fw = framework_of(data)
    reverse = [c for c, r in zip(fw.item_codes, fw.reverse, strict=True) if r]
    return reliability_report(data.X, data.codes, dimension_blocks(fw), reverse=reverse, ci=ci)


def community_matrix(result: WaveResult) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Codes, dimension scores (m × D) and OSI of the published communities: the input of
    entropy, CRITIC, PCA and derived importance (which must not see suppressed ones)."""
    ok = ~result.suppressed & ~np.isnan(result.dim_score).any(axis=1)
    codes = [c for c, k in zip(result.community_codes, ok, strict=True) if k]
    return codes, result.dim_score[ok], result.osi[ok]


def rankings_side_by_side(results: Mapping[str, WaveResult]) -> Any:
    """A pandas DataFrame: one row per community, index and rank under each model."""
    import pandas as pd

    columns: dict[str, Any] = {}
    for name, result in results.items():
        columns[f"index:{name}"] = pd.Series(result.index, index=list(result.community_codes))
        columns[f"rank:{name}"] = pd.Series(result.rank, index=list(result.community_codes))
    frame = pd.DataFrame(columns)
    first = next(iter(results))
    return frame.sort_values(f"rank:{first}")
