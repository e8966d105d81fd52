"""The packed numeric vector stored with every response (see survey/models.py).

Layout (little-endian int16, one slot per entry of :func:`numeric_layout`): likert, rating and
numeric answers as given (the don't-know code too: it is an answer, and its rate is reported);
single-choice answers as their 1-based option index; a multi-choice item as one 0/1 slot per
option; −1 means no answer. Text answers live only in the JSON record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

NO_ANSWER = -1
DTYPE = np.dtype("<i2")
SCALAR_KINDS = frozenset({"likert", "rating", "numeric"})


@dataclass(frozen=True)
class Slot:
    """One column of the numeric vector: an item, or one option of a multi-choice item."""

    name: str
    code: str
    kind: str
    option: str | None = None


_LAYOUTS: dict[str, tuple[Slot, ...]] = {}
# The same parsed questionnaire serves every request (survey.storage.registry), and hashing its
# definition costs ~0.5 ms: remember the layout per object too. The object is kept in the entry
# so its id cannot be reused by another one while the entry exists.
_BY_OBJECT: dict[int, tuple[Any, tuple[Slot, ...]]] = {}


def numeric_layout(questionnaire: Any) -> tuple[Slot, ...]:
    """The slots of ``questionnaire``'s vector, computed once per definition hash."""
    known = _BY_OBJECT.get(id(questionnaire))
    if known is not None and known[0] is questionnaire:
        return known[1]
    digest = questionnaire.definition_hash()
    layout = _LAYOUTS.get(digest)
    if layout is None:
        layout = _LAYOUTS[digest] = _layout(questionnaire)
    if len(_BY_OBJECT) >= 64:
        _BY_OBJECT.clear()
    _BY_OBJECT[id(questionnaire)] = (questionnaire, layout)
    return layout


def _layout(questionnaire: Any) -> tuple[Slot, ...]:
    slots: list[Slot] = []
    for item in questionnaire.items:
        if item.kind in SCALAR_KINDS or item.kind == "single_choice":
            slots.append(Slot(item.code, item.code, item.kind))
        elif item.kind == "multi_choice":
            slots.extend(
                Slot(f"{item.code}/{o.value}", item.code, item.kind, o.value) for o in item.options
            )
    return tuple(slots)


def encode_numeric(questionnaire: Any, answers: dict[str, Any]) -> bytes:
    """Pack validated ``answers`` into ``questionnaire``'s numeric vector."""
    slots = numeric_layout(questionnaire)
    vector = np.full(len(slots), NO_ANSWER, dtype=DTYPE)
    for position, slot in enumerate(slots):
        value = answers.get(slot.code)
        if value is None:
            continue
        if slot.kind == "multi_choice":
            vector[position] = 1 if slot.option in value else 0
        elif slot.kind == "single_choice":
            vector[position] = _option_position(questionnaire, slot.code, value)
        else:
            vector[position] = round(value)
    return vector.tobytes()


def _option_position(questionnaire: Any, code: str, value: str) -> int:
    for index, option in enumerate(questionnaire.item(code).options, start=1):
        if option.value == value:
            return index
    raise ValueError(f"{value!r} is not an option of {code}")


def decode_numeric(blobs: list[bytes], n_slots: int) -> np.ndarray:
    """Stack packed vectors into an ``(n, n_slots)`` int16 array with one copy, no cell loop."""
    if not blobs:
        return np.empty((0, n_slots), dtype=DTYPE)
    return np.frombuffer(b"".join(blobs), dtype=DTYPE).reshape(len(blobs), n_slots)
