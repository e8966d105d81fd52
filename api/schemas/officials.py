"""Response models of the officials' JSON API (scorecard, trends, district summary).

Numbers are 0–100 scores (unrounded; pages print one decimal); ``null`` means "not published"
(suppressed, or not scored with this model), and the accompanying ``note`` or
``suppression_reason`` says why. Labels come as ``{"zh": ..., "en": ...}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Local = dict[str, str]


class Figure(BaseModel):
    score: float | None = Field(description="0–100; null when not published")
    ci_low: float | None = None
    ci_high: float | None = None
    se: float | None = None
    grade: str | None = Field(default=None, description="优/良/中/差")


class GradedFigure(Figure):
    """The overall index, with how sure its grade is (issue 12)."""

    grade_prob: dict[str, float] | None = Field(
        default=None,
        description="P(grade) per band: share of the bootstrap replicates in each band",
    )
    grade_p: float | None = Field(default=None, description="P(grade of the point estimate)")
    borderline: bool | None = Field(
        default=None, description="临界: the interval's ends have different grades"
    )


class ScoreInterval(BaseModel):
    score: float | None
    ci_low: float | None
    ci_high: float | None


class RankInfo(BaseModel):
    rank: int | None = Field(description="第 k 名 (ties share the smallest rank)")
    of: int = Field(description="共 N 个社区: communities with a published score")
    rank_low: int | None = Field(description="rank interval (5th percentile of bootstrap ranks)")
    rank_high: int | None
    estimator: str = Field(
        default="direct",
        description="what produced the rank and its interval: direct (bootstrap of the direct "
        "estimates) or fay_herriot (EBLUPs, rank sets from EBLUP and √MSE; the weight model's "
        "estimator)",
    )
    rank_set_low: int | None = Field(
        default=None,
        description="joint 90 % rank confidence set (Holm over all pairs; null: not computed)",
    )
    rank_set_high: int | None = None
    tier: int | None = Field(
        default=None, description="group of communities that cannot be told apart (1 = top)"
    )
    tier_members: int | None = Field(default=None, description="communities in that group")
    tier_rank_low: int | None = Field(
        default=None, description="best point rank in the group: 与第 low–high 名无显著差别"
    )
    tier_rank_high: int | None = Field(default=None, description="worst point rank in the group")


class Change(BaseModel):
    from_wave: str | None
    to_wave: str
    delta: float | None = Field(description="Δ = this wave − previous wave")
    ci_low: float | None
    ci_high: float | None
    se: float | None
    p_value: float | None = None
    q: float | None = Field(
        default=None,
        description="Benjamini–Hochberg q-value over the report's family (communities × "
        "(overall + dimensions), or streets + district); null when not tested",
    )
    label: str | None = Field(
        description="up | down | flat | undetermined (api/services/change_rule.py); "
        "null when there is no previous wave or it was not scored"
    )
    label_text: Local | None = Field(
        default=None, description="显著提升 / 显著下降 / 基本持平 / 无法判断, and the English"
    )
    significant: bool
    direction: int = Field(description="1 rise, −1 fall, 0 about the same")
    note: Local | None = Field(description="why there is no label (other model, suppressed...)")
    note_code: str | None = Field(
        default=None,
        description="the note as a code: no_previous, not_scored, model_differs, "
        "insufficient_sample, no_score, missing_se, questionnaire_changed, bridged",
    )
    lineage: list[str] = Field(
        default_factory=list,
        description="the earlier wave's figure is the predecessors' combination",
    )
    df: float | None = Field(
        default=None,
        description="Welch–Satterthwaite degrees of freedom of the t p-value (null: normal)",
    )
    bridged: bool = Field(
        default=False,
        description="the questionnaire changed between the waves: compared over the "
        "unchanged dimensions only (note says which were left out)",
    )
    reason: str | None = Field(
        default=None,
        description="scoring.change.Reason of an undetermined label: not_comparable, "
        "small_sample, missing_delta, missing_se, nonpositive_se ('' when tested)",
    )
    estimator: str | None = Field(
        default=None,
        description="what Δ compares: direct (published estimates, t p-value) or fay_herriot "
        "(EBLUPs with √MSE as SE, normal p-value); null when not computed",
    )


class TrendPoint(BaseModel):
    wave: str
    score: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    n: int | None
    suppressed: bool
    note: Local | None
    note_code: str | None = Field(
        default=None, description="the note as a code: not_scored, insufficient_sample"
    )
    model_key: str | None
    preset: str | None = None
    lineage: list[str] = Field(
        default_factory=list,
        description="predecessor communities whose population-weighted combination this "
        "point is (a wave before a merger or split)",
    )


class Aggregate(BaseModel):
    index: float | None
    ci_low: float | None
    ci_high: float | None
    grade: str | None
    communities: int = Field(description="published communities averaged")
    responses: int
    suppressed: bool
    weighting: str | None = Field(default=None, description="residents or responses")
    population: int | None = Field(default=None, description="residents averaged over")


class Comparison(BaseModel):
    street: Aggregate | None
    district: Aggregate | None
    housing_type: Aggregate | None
    method: Local


class DimensionRow(BaseModel):
    code: str
    label: Local
    weight: float | None
    score: float | None
    ci_low: float | None
    ci_high: float | None
    street_mean: float | None
    district_mean: float | None
    housing_mean: float | None
    change: Change | None = Field(default=None, description="since the previous wave")


class PriorityPoint(BaseModel):
    code: str
    label: Local
    importance: float
    importance_low: float | None = Field(
        default=None, description="interval of the importance (null in older snapshots)"
    )
    importance_high: float | None = None
    performance: float | None
    performance_cut: float | None = Field(
        default=None, description="the sub-dimension's district median (null: older snapshot)"
    )
    gap: float | None = Field(default=None, description="performance − performance_cut")
    quadrant: int = Field(
        description="0 重点改进, 1 继续保持, 2 次要改进, 3 可能过度, −1 未定 (undetermined) or none"
    )
    quadrant_label: Local | None


class Priorities(BaseModel):
    importance_method: str | None
    importance_cut: float
    performance_cut: float | None = Field(
        description="one grand-mean crosshair (older snapshots); null when each sub-dimension "
        "has its own (performance_cut of each point)"
    )
    per_subdimension: bool = Field(
        default=False, description="quadrants from intervals and per-sub-dimension cuts"
    )
    level: float | None = None
    rule: Local | None = Field(default=None, description="the quadrant rule in one sentence")
    improve_first: list[PriorityPoint]
    strengths: list[PriorityPoint]
    stated_top: list[PriorityPoint]
    points: list[PriorityPoint]


class ItemRow(BaseModel):
    code: str
    label: Local
    dimension: str | None
    subdimension: str | None
    reverse: bool
    score: float | None
    pct_positive: float | None = Field(description="percent (0–100) answering 4 or 5")
    dk_rate: float | None = Field(description="share (0–1) answering 不了解/不适用")
    n: int | None


class Share(BaseModel):
    value: str
    label: Local
    sample_share: float
    population_share: float | None


class Composition(BaseModel):
    has_population: bool
    age_band: list[Share]
    gender: list[Share]


class CommunityInfo(BaseModel):
    code: str
    name: str
    street: str | None
    street_name: str | None
    housing_type: str | None


SCORECARD_EXAMPLE: dict[str, Any] = {
    "wave": "2026Q2",
    "model": "equal",
    "model_version": 1,
    "model_key": "equal@1",
    "preset": "ptm",
    "ci_level": 0.9,
    "min_n": 30,
    "community": {
        "code": "CH02-001",
        "name": "太平园社区",
        "street": "CH02",
        "street_name": "双桥子街道",
        "housing_type": "老旧院落/企业职工生活区",
    },
    "n": 55,
    "suppressed": False,
    "suppression_reason": None,
    "overall": {"score": 76.8, "ci_low": 74.5, "ci_high": 79.3, "se": 1.47, "grade": "中"},
    "rank": {"rank": 3, "of": 12, "rank_low": 2, "rank_high": 5},
    "change": {
        "from_wave": "2025Q4",
        "to_wave": "2026Q2",
        "delta": -1.2,
        "ci_low": -4.7,
        "ci_high": 2.3,
        "q": 0.81,
        "label": "flat",
        "label_text": {"zh": "基本持平", "en": "about the same"},
        "significant": False,
        "direction": 0,
    },
}


class CommunityExclusions(BaseModel):
    """What the wave's exclusion policy left out of this community's figures (methods §10)."""

    policy: list[str] | None = Field(description="the rules the wave excludes by")
    n_received: int = Field(description="responses received")
    n_excluded: int = Field(description="responses excluded (each once)")
    excluded_by_rule: dict[str, int] = Field(
        description="responses flagged by each rule of the policy (one may fall under several)"
    )
    n_scored: int = Field(description="responses scored: n_received − n_excluded")


class Scorecard(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SCORECARD_EXAMPLE]})

    wave: str
    model: str
    model_version: int
    model_key: str
    computed_at: datetime
    preset: str | None
    ci_level: float
    min_n: int
    grade_bands: list[tuple[str, float | None]] = Field(
        default_factory=list,
        description="the model's grade bands, best first: [name, lower bound] (the last null)",
    )
    community: CommunityInfo
    n: int | None = Field(description="valid responses (shown even when suppressed)")
    responses: int | None
    exclusions: CommunityExclusions | None = Field(
        default=None, description="n received / excluded by rule / scored; null for old snapshots"
    )
    n_eff: float | None
    suppressed: bool
    suppression_reason: str | None = Field(
        description="why suppressed, in Chinese (api/web/messages.py), e.g. below min_n"
    )
    suppression_reason_code: str | None = Field(
        default=None, description="the reason as a code: insufficient_sample, no_score"
    )
    note: str | None = Field(description="a caveat in Chinese, e.g. a small sample below flag_n")
    note_code: str | None = Field(default=None, description="the caveat as a code: small_sample")
    overall: GradedFigure
    osi: ScoreInterval = Field(description="overall satisfaction index (O1–O3), 0–100")
    small_area: dict[str, Any] | None = Field(
        default=None,
        description="Fay–Herriot (EBLUP) estimate of the index shrunk toward the street mean: "
        "estimate, mse, se, ci_low, ci_high, gamma (weight of the direct estimate), direct, "
        "method, design, sigma2_v, level; dimensions {code: the same figures or null}; "
        "estimator (what ranks and change labels use: direct | fay_herriot); show (n < flag_n: "
        "the page shows them); the published score stays the direct estimate",
    )
    rank: RankInfo
    change: Change | None
    trend: list[TrendPoint]
    trend_street: list[TrendPoint]
    trend_district: list[TrendPoint]
    changes: list[Change]
    fdr: float = Field(default=0.10, description="the BH level of the change labels")
    comparison: Comparison
    dimensions: list[DimensionRow]
    priorities: Priorities | None
    items: list[ItemRow]
    composition: Composition | None


class TrendReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model": "equal",
                    "ci_level": 0.9,
                    "threshold": 3.0,
                    "waves": ["2025Q2", "2025Q4"],
                    "points": [
                        {
                            "wave": "2025Q2",
                            "score": 68.1,
                            "ci_low": 65.5,
                            "ci_high": 71.0,
                            "se": 1.76,
                            "n": 64,
                            "suppressed": False,
                            "note": None,
                            "model_key": "equal@1",
                        }
                    ],
                }
            ]
        }
    )

    model: str
    ci_level: float
    threshold: float
    fdr: float = Field(default=0.10, description="the BH level of the change labels")
    change_rule: Local | None = Field(default=None, description="the change rule in a sentence")
    waves: list[str]
    points: list[TrendPoint]
    changes: list[Change]


class CommunityTrend(TrendReport):
    community: str
    dimension_changes: dict[str, list[Change]] = Field(
        default_factory=dict, description="dimension code → its change into every wave"
    )


class StreetTrend(TrendReport):
    street: str
    method: Local


class TrendRow(BaseModel):
    points: list[TrendPoint]
    last_change: Change | None


class CommunityTrendRow(TrendRow):
    code: str
    name: str | None
    street: str | None
    street_name: str | None
    last_dimension_changes: dict[str, Change] = Field(
        default_factory=dict, description="dimension code → its change into the last wave"
    )


class StreetTrendRow(TrendRow):
    street: str
    street_name: str


class DistrictTrend(TrendReport):
    method: Local
    streets: list[StreetTrendRow]
    communities: list[CommunityTrendRow]


class Band(BaseModel):
    band: str
    low: float
    high: float
    count: int


class ChangedCommunity(BaseModel):
    code: str
    name: str | None
    street: str | None
    street_name: str | None
    before: float | None
    after: float | None
    delta: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None
    q: float | None = Field(description="Benjamini–Hochberg adjusted p-value")
    label: str | None = Field(description="up | down (the change rule)")
    estimator: str | None = Field(
        default=None,
        description="direct, or fay_herriot: before/after/delta are then EBLUPs (the model's "
        "estimator)",
    )


class Changes(BaseModel):
    from_wave: str | None
    fdr: float
    compared: int
    threshold: float | None = None
    rises: list[ChangedCommunity]
    falls: list[ChangedCommunity]
    note: Local | None
    note_code: str | None = Field(default=None, description="no_previous, model_differs")
    change_rule: Local | None = Field(default=None, description="the change rule in a sentence")


class CommonPriority(BaseModel):
    code: str
    label: Local
    communities: int


class ImportanceRow(BaseModel):
    code: str
    label: Local
    importance: float = Field(description="share of the within-community R² (sums to 1)")
    importance_low: float | None
    importance_high: float | None
    side: int = Field(description="+1 above the equal share 1/k, −1 below, 0 undetermined")


class CommonPriorities(BaseModel):
    improve_first: list[CommonPriority]
    stated_top: list[CommonPriority]
    importance: list[ImportanceRow] | None = Field(
        default=None, description="district importance with intervals (null: older snapshot)"
    )
    rule: Local | None = Field(default=None, description="the quadrant rule in one sentence")


class DistrictSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "wave": "2026Q2",
                    "model": "equal",
                    "communities": 83,
                    "published": 81,
                    "suppressed": 2,
                    "responses": 14950,
                    "district": {"index": 71.7, "ci_low": 70.8, "ci_high": 72.5, "grade": "中"},
                    "distribution": [{"band": "70–79.9", "low": 70, "high": 80, "count": 40}],
                }
            ]
        }
    )

    wave: str
    model: str
    model_version: int
    model_key: str
    preset: str | None
    computed_at: datetime
    ci_level: float
    communities: int
    published: int
    suppressed: int
    responses: int
    district: dict[str, float | str | None]
    method: Local
    distribution: list[Band]
    changes: Changes
    priorities: CommonPriorities
