"""Reading one page of the residents' form (``application/x-www-form-urlencoded`` or multipart).

HTML sends every answer as text; this turns it into the types the questionnaire validates (whole
numbers for scales, lists for check boxes). Whatever cannot be converted is passed on as sent, so
that :mod:`survey.questionnaire.validation` words the problem the same way for the form and the API.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from starlette.datastructures import FormData

from survey.errors import FieldProblem
from survey.questionnaire.model import Item, NumericItem

HONEYPOT_FIELD = "website"  # a field people never see; bots that fill every input fill it
ACTIONS = ("next", "back", "submit")
_INTEGER = re.compile(r"^[+-]?\d{1,9}$")
_DECIMAL = re.compile(r"^[+-]?(\d{1,12}(\.\d{0,6})?|\.\d{1,6})$")
_INTEGER_KINDS = frozenset({"likert", "rating"})


def page_answers(form: FormData, items: list[Item]) -> tuple[dict[str, Any], list[FieldProblem]]:
    """The answers a page sent for ``items`` (blank fields left out), and fields that were not
    text at all (a file upload where an answer belongs)."""
    answers: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for item in items:
        raw_values = form.getlist(item.code)
        if any(not isinstance(v, str) for v in raw_values):
            problems.append(FieldProblem(item.code, "must be sent as text", "答案格式不正确"))
            continue
        values = [v for v in raw_values if isinstance(v, str) and v.strip() != ""]
        if not values:
            continue
        if item.kind == "multi_choice":
            answers[item.code] = values
        elif len(values) > 1:
            answers[item.code] = values  # answered twice: validation says "one value, not a list"
        else:
            answers[item.code] = convert(item, values[0])
    return answers, problems


def convert(item: Item, text: str) -> Any:
    """The typed value of one text answer, or the text itself when it does not convert."""
    value = text.strip()
    if item.kind in _INTEGER_KINDS or (isinstance(item, NumericItem) and item.integer):
        return int(value) if _INTEGER.match(value) else value
    if isinstance(item, NumericItem):
        if _INTEGER.match(value):
            return int(value)
        return float(value) if _DECIMAL.match(value) else value
    if item.kind == "text":
        return text  # validation strips and measures the text itself
    return value


def form_text(form: FormData, name: str, max_length: int = 200) -> str | None:
    value = form.get(name)
    if not isinstance(value, str) or len(value) > max_length:
        return None
    return value


def client_id_of(value: str | None) -> str | None:
    """The canonical uuid text, or ``None`` for anything else (never trusted as given)."""
    if not value or len(value) > 64:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def page_index(value: str | None, n_pages: int) -> int | None:
    if value is None or not value.isdigit() or len(value) > 4:
        return None
    index = int(value)
    return index if 0 <= index < n_pages else None


def action_of(form: FormData) -> str:
    action = form_text(form, "action", 20)
    return action if action in ACTIONS else "next"


def honeypot_filled(form: FormData) -> bool:
    value = form.get(HONEYPOT_FIELD)
    return isinstance(value, str) and value.strip() != ""
