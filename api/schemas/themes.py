"""Response models of the open-text theme routes (what OpenAPI documents)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ThemeLabel(BaseModel):
    zh: str
    en: str


class ThemeLine(BaseModel):
    theme: int
    label: ThemeLabel
    top_terms: list[str]


class ThemeModelOut(BaseModel):
    name: str
    version: int
    status: str = Field(description="published | retired")
    author: str
    created_at: datetime | None
    description: str
    fitted_on: str | None = Field(description="the wave whose comments the themes were fitted on")
    n_themes: int | None
    themes: list[ThemeLine]


class ThemePublishRequest(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    wave: str = Field(min_length=1, max_length=32, description="a closed wave to fit on")
    n_themes: int = Field(default=8, ge=2, le=30)
    labels: dict[str, ThemeLabel] | None = Field(
        default=None, description="optional labels by theme index ('0', '1', ...)"
    )
    description: str = Field(default="", max_length=500)


class ThemeRelabelRequest(BaseModel):
    labels: dict[str, ThemeLabel] = Field(description="new labels by theme index")


class TrendPoint(BaseModel):
    wave: str
    comments: int
    count: int | None = Field(description="None when the scope had too few comments that wave")
    share: float | None


class ThemeEntry(BaseModel):
    theme: int
    label: ThemeLabel
    count: int
    share: float = Field(description="of the scope's comments in the wave")
    examples: list[str] = Field(description="short redacted comments with nothing masked")
    trend: list[TrendPoint] = Field(default_factory=list)


class ScopeThemes(BaseModel):
    wave: str
    scope: str
    model: dict[str, Any] | None = Field(description="the published theme model used, if any")
    comments: int
    min: int = Field(description="fewer comments than this: nothing is shown")
    shown: bool
    unassigned: int | None = None
    themes: list[ThemeEntry]
    withheld: str | None = Field(
        default=None,
        description="'suppressed': the scope's results are not published in this wave, so "
        "neither are its themes",
    )
