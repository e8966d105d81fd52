"""The packed numeric vector stored with every response (see survey/models.py).

Layout (little-endian int16, one slot per entry of :func:`numeric_layout`): likert, rating and
numeric answers as given (the don't-know code too: it is an answer, and its rate is reported);
single-choice answers as their 1-based option index; a multi-choice item as one 0/1 slot per
option; −1 means no answer. Text answers live only in the JSON record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    # A single-choice item's option value → 1-based position (looked up once per layout: the
    # questionnaire's own look-up goes through pydantic's private attributes, P5 profile).
    positions: dict[str, int] | None = field(default=None, compare=False, hash=False)


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
        if item.kind in SCALAR_KINDS:
            slots.append(Slot(item.code, item.code, item.kind))
        elif item.kind == "single_choice":
            positions = {o.value: k for k, o in enumerate(item.options, start=1)}
            slots.append(Slot(item.code, item.code, item.kind, positions=positions))
        elif item.kind == "multi_choice":
            slots.extend(
                Slot(f"{item.code}/{o.value}", item.code, item.kind, o.value) for o in item.options
            )
    return tuple(slots)


def encode_numeric(questionnaire: Any, answers: dict[str, Any]) -> bytes:
    """Pack validated ``answers`` into ``questionnaire``'s numeric vector."""
    values: list[int] = []
    for slot in numeric_layout(questionnaire):
        value = answers.get(slot.code)
        if value is None:
            values.append(NO_ANSWER)
        elif slot.kind == "multi_choice":
            values.append(1 if slot.option in value else 0)
        elif slot.positions is not None:
            position = slot.positions.get(value)
            if position is None:
                raise ValueError(f"{value!r} is not an option of {slot.code}")
            values.append(position)
        else:
            values.append(round(value))
    return np.array(values, dtype=DTYPE).tobytes()


def decode_numeric(blobs: list[bytes], n_slots: int) -> np.ndarray:
    """Stack packed vectors into an ``(n, n_slots)`` int16 array with one copy, no cell loop."""
    if not blobs:
        return np.empty((0, n_slots), dtype=DTYPE)
    return np.frombuffer(b"".join(blobs), dtype=DTYPE).reshape(len(blobs), n_slots)
