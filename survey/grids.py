"""A community's grids (网格): the choices of the residents' ``grid`` question.

The district register may list each community's grids (``grids`` column, stored on
``Community.grids``). With grids, the question is a choice among them plus "not sure", and a
submitted answer must be one of those; without, it stays the questionnaire's free-text item. The
answer is stored as today (the text of the ``grid`` answer), so exports and the small-area rule
(``MIN_GRID_RESPONDENTS``) read it unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from survey.errors import FieldProblem

GRID_CODE = "grid"
# Stored when a resident picks "不清楚 / not sure": one value in every language, so answers
# group together; the register refuses a grid of that name.
NOT_SURE = "不清楚"
SEPARATORS = (";", "；", "、", "\n")
MAX_GRID_NAME = 50  # the questionnaire's grid item keeps answers to 50 characters
MAX_GRIDS = 200


def split_grids(text: str) -> list[str]:
    """The grid names of one register cell (``一网格;二网格``), empty parts dropped."""
    for separator in SEPARATORS[1:]:
        text = text.replace(separator, SEPARATORS[0])
    return [part.strip() for part in text.split(SEPARATORS[0]) if part.strip()]


def join_grids(grids: Sequence[str]) -> str:
    return ";".join(grids)


def grid_name_problems(grids: Sequence[str]) -> list[str]:
    """Why a register cell's grid list cannot be stored (empty when it can)."""
    problems: list[str] = []
    seen: set[str] = set()
    for name in grids:
        if len(name) > MAX_GRID_NAME:
            problems.append(f"grid name {name!r} is longer than {MAX_GRID_NAME} characters")
        if name == NOT_SURE:
            problems.append(f"{NOT_SURE!r} cannot be a grid name: the form offers it already")
        if name in seen:
            problems.append(f"grid {name!r} is listed twice")
        seen.add(name)
    if len(grids) > MAX_GRIDS:
        problems.append(f"{len(grids)} grids; at most {MAX_GRIDS} per community")
    return problems


def grid_choices(grids: Sequence[str]) -> list[str]:
    """The values a resident may send for the grid question of a community with ``grids``."""
    return [*grids, NOT_SURE] if grids else []


def grid_problems(grids: Sequence[str], answers: Mapping[str, Any]) -> list[FieldProblem]:
    """A problem when the community has grids and the ``grid`` answer is not one of them."""
    value = answers.get(GRID_CODE)
    if not grids or value is None or (isinstance(value, str) and not value.strip()):
        return []
    allowed = grid_choices(grids)
    if isinstance(value, str) and value.strip() in allowed:
        return []
    return [
        FieldProblem(
            GRID_CODE,
            f"must be one of this community's grids: {', '.join(allowed)}",
            "请从本社区的网格中选择一项",
        )
    ]
