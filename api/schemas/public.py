"""The residents' public results of a community (``/api/v1/public/...``, twin of ``/p/...``).

``published: false`` comes with ``reason`` (``wave_open``, ``not_open``, ``not_scored``,
``suppressed``) and ``reason_text``; a suppressed community has no figure, need or action at
all. Scores are 0–100 with their interval; changes follow the trends' change rule.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Local = dict[str, str]


class PublicCommunity(BaseModel):
    code: str
    name: str
    street_name: str


class PublicScore(BaseModel):
    score: float | None
    ci_low: float | None
    ci_high: float | None
    grade: str | None = None


class PublicChange(BaseModel):
    from_wave: str | None
    delta: float | None = Field(description="this wave − the previous wave")
    ci_low: float | None
    ci_high: float | None
    significant: bool
    label: str | None = Field(description="显著提升 / 基本持平 / 显著下降 (scoring.trend)")
    label_en: str | None
    words: Local = Field(description="the change in plain words, e.g. 比上次提高 3.2 分,变化显著")


class PublicDimension(BaseModel):
    code: str
    label: Local
    score: float | None
    ci_low: float | None
    ci_high: float | None
    change_words: Local | None = Field(description="null: no comparable previous wave")
    significant: bool


class PublicNeed(BaseModel):
    code: str = Field(description="sub-dimension code")
    label: Local
    count: int = Field(description="residents who chose it (only when ≥ the minimum count)")
    share: float = Field(description="of the residents who answered the priority question")


class PublicTheme(BaseModel):
    model_config = ConfigDict(extra="allow")

    label: Local
    count: int
    share: float | None = None


class PublicAction(BaseModel):
    id: int
    title: str
    scope_level: Literal["community", "street"]
    codes: list[str]
    code_labels: list[Local]
    owner: str
    status: Literal["planned", "in_progress", "done", "cancelled"]
    status_label: Local
    due_date: date | None
    completed_on: date | None
    effect_label: str | None = Field(
        description="measured effect (改善明显 / 未见明显变化 / 无法判断)"
    )
    effect_label_en: str | None


class PublicResults(BaseModel):
    wave: str
    community: PublicCommunity
    published: bool
    reason: Literal["wave_open", "not_open", "not_scored", "suppressed"] | None
    reason_text: Local | None
    ci_level: float | None
    min_n: int | None
    note: str | None = None
    overall: PublicScore | None
    change: PublicChange | None
    dimensions: list[PublicDimension]
    needs: list[PublicNeed]
    themes: list[PublicTheme]
    actions: list[PublicAction]
