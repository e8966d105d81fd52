"""A validated batch → the stored fields of each row, column by column (the bulk twin of
``encode_numeric`` and ``payload_hash``).

Per row, ``json.dumps`` of ~55 answers and ``encode_numeric`` cost ~30 µs, more than a 20,000
rows/s import can afford. A column has few distinct values, so each distinct value's JSON
fragment (``"D1.1":4``) and numeric slots are computed once; a row's JSON is then one string join
of its fragments and the packed vectors are one numpy fill of an ``(n, slots)`` array.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from survey.batch_validation import BatchResult
from survey.encoding import DTYPE, NO_ANSWER, numeric_layout

if TYPE_CHECKING:
    from survey.questionnaire import Questionnaire

__all__ = ["BatchEncoder", "EncodedRows", "canonical_hash", "canonical_tail"]


def _json(value: Any) -> str:
    # The separators and ensure_ascii of payload_hash's canonical form (survey/responses.py).
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def canonical_tail(*, wave: str, community: str) -> str:
    """What follows the answers in ``payload_hash``'s canonical form (computed once per
    community, not once per row)."""
    return ',"community":' + _json(community) + ',"wave":' + _json(wave) + "}"


def canonical_hash(sorted_answers_json: str, tail: str) -> str:
    """``payload_hash`` from answers already serialised with sorted keys.

    The canonical form is ``{"answers":..,"community":..,"wave":..}`` with sorted keys, so it can
    be assembled from strings instead of dumping a dict per row.
    """
    return hashlib.sha256(('{"answers":' + sorted_answers_json + tail).encode()).hexdigest()


@dataclass
class EncodedRows:
    answers_json: list[str]  # questionnaire order, as stored
    sorted_json: list[str]  # sorted keys: the input of the payload hash
    numeric: list[bytes]  # packed vectors (survey/encoding.py)


class BatchEncoder:
    """Encodes batches of one questionnaire version; build once per import."""

    def __init__(self, questionnaire: Questionnaire) -> None:
        self.questionnaire = questionnaire
        self.codes = [item.code for item in questionnaire.items]
        self.sorted_order = sorted(range(len(self.codes)), key=lambda i: self.codes[i])
        self.slots = numeric_layout(questionnaire)

    def encode(self, result: BatchResult, rows: np.ndarray) -> EncodedRows:
        """The stored fields of ``rows`` (indices into the batch, valid rows only)."""
        fragment_columns: list[list[str]] = []
        for code in self.codes:
            column = result.columns[code]
            fragments = np.array(
                ["" if v is None else _json(code) + ":" + _json(v) for v in result.cleaned[code]],
                dtype=object,
            )
            chosen = np.where(result.kept[code][rows], fragments[column.index[rows]], "")
            fragment_columns.append(chosen.tolist())
        in_order = [
            "{" + ",".join(filter(None, t)) + "}" for t in zip(*fragment_columns, strict=True)
        ]
        by_key = [fragment_columns[i] for i in self.sorted_order]
        sorted_json = ["{" + ",".join(filter(None, t)) + "}" for t in zip(*by_key, strict=True)]
        return EncodedRows(in_order, sorted_json, self._numeric(result, rows))

    def _numeric(self, result: BatchResult, rows: np.ndarray) -> list[bytes]:
        vectors = np.full((len(rows), len(self.slots)), NO_ANSWER, dtype=DTYPE)
        q = self.questionnaire
        for position, slot in enumerate(self.slots):
            per_value = np.array(
                [self._slot_value(q, slot, v) for v in result.cleaned[slot.code]], dtype=DTYPE
            )
            kept = result.kept[slot.code][rows]
            vectors[:, position] = np.where(
                kept, per_value[result.columns[slot.code].index[rows]], NO_ANSWER
            )
        blob = vectors.tobytes()
        width = vectors.shape[1] * DTYPE.itemsize
        return [blob[i * width : (i + 1) * width] for i in range(len(rows))]

    @staticmethod
    def _slot_value(q: Questionnaire, slot: Any, value: Any) -> int:
        # The same rules as encode_numeric, once per distinct value.
        if value is None:
            return NO_ANSWER
        if slot.kind == "multi_choice":
            return 1 if slot.option in value else 0
        if slot.kind == "single_choice":
            return q.option_index(slot.code, value)
        return round(value)
