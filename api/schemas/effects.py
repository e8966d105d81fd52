"""Response models of the action-effect routes (what OpenAPI documents)."""

from __future__ import annotations

from pydantic import BaseModel


class Words(BaseModel):
    zh: str
    en: str


class ActionEffectOut(BaseModel):
    """One completed action × one linked sub-dimension: the difference-in-differences effect."""

    action_id: int
    title: str
    scope_level: str
    community: str
    subdimension: str | None
    before_wave: str | None
    after_wave: str | None
    label: str  # up | flat | down | undetermined
    label_text: Words  # 改善明显 / 未见明显变化 / 明显下降 / 无法判断
    reason: str  # why undetermined ("" when measured)
    reason_text: Words | None
    estimate: float | None  # points of the 0–100 sub-dimension score
    se: float | None
    ci_low: float | None
    ci_high: float | None
    level: float
    q: float | None  # Benjamini–Hochberg q over the after wave's completed actions
    treated_change: float | None
    comparison_change: float | None
    n_before: int | None
    n_after: int | None
    comparison: list[str]
    basis: str | None  # street | housing_type | none


class ActionEffects(BaseModel):
    action_id: int
    status: str
    effects: list[ActionEffectOut]


class EffectsSummary(BaseModel):
    scope: str
    wave: str | None
    completed: int
    measured: int
    improved: int
    sentence: Words  # "27 项已完成整改中,9 项对应指标显著改善"
    effects: list[ActionEffectOut]
