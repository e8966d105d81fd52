"""Request and response models of the action-plan API (整改事项, ``/api/v1/actions``).

An action belongs to one community or street, addresses sub-dimension or item codes of the
questionnaire, and moves ``planned → in_progress → done`` (or ``cancelled``; never deleted).
Status changes only with a progress note (``POST .../notes``), so every change is dated.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Local = dict[str, str]
Status = Literal["planned", "in_progress", "done", "cancelled"]
ScopeLevel = Literal["community", "street"]


class ActionFieldsIn(BaseModel):
    """What an official may set on an action (all but its scope and status)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, description="what will be done")
    codes: list[str] = Field(
        min_length=1,
        max_length=20,
        description='sub-dimension or item codes it addresses, e.g. ["D3.2"]',
    )
    owner: str = Field(default="", max_length=100, description="责任单位 / the unit in charge")
    start_date: date | None = None
    due_date: date | None = None
    budget: float | None = Field(default=None, ge=0, description="yuan")
    theme: str = Field(default="", max_length=64, description="the free-text theme it answers")
    wave_code: str = Field(
        default="", max_length=32, description="the wave whose results it answers"
    )


class ActionCreate(ActionFieldsIn):
    scope_level: ScopeLevel = "community"
    scope_code: str = Field(min_length=1, max_length=32, description="community or street code")


class ActionUpdate(BaseModel):
    """Only the fields sent change; status changes with a note instead."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    codes: list[str] | None = Field(default=None, min_length=1, max_length=20)
    owner: str | None = Field(default=None, max_length=100)
    start_date: date | None = None
    due_date: date | None = None
    budget: float | None = Field(default=None, ge=0)
    theme: str | None = Field(default=None, max_length=64)
    wave_code: str | None = Field(default=None, max_length=32)


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=2000)
    status: Status | None = Field(
        default=None, description="the action's new status, if it changes"
    )


class ActionNoteOut(BaseModel):
    id: int
    note: str
    status_after: Status
    author: str
    created_at: datetime


class ActionEffect(BaseModel):
    """The measured effect of a completed action (difference-in-differences), when measured."""

    model_config = ConfigDict(extra="allow")

    wave: str | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    label: str | None = None
    label_en: str | None = None


class ActionOut(BaseModel):
    id: int
    scope_level: ScopeLevel
    scope_code: str
    scope_name: str
    street: str | None = Field(description="the street of the scope (itself for a street action)")
    title: str
    codes: list[str]
    code_labels: list[Local] = Field(description="each code's name, as {zh, en}")
    owner: str
    start_date: date | None
    due_date: date | None
    status: Status
    status_label: Local
    overdue: bool = Field(description="not finished by its due date")
    completed_at: datetime | None
    budget: float | None
    theme: str
    wave_code: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    effect: ActionEffect | None = Field(description="null: not measured (yet)")


class ActionDetail(ActionOut):
    notes: list[ActionNoteOut]


class ActionList(BaseModel):
    count: int
    actions: list[ActionOut]
    summary: dict[str, Any] = Field(description="counts by status, and how many are overdue")
