"""A validated batch → the stored fields of each row, column by column (the bulk twin of
``encode_numeric`` and ``payload_hash``).

Per row, ``json.dumps`` of ~55 answers and ``encode_numeric`` cost ~30 µs, more than a 20,000
rows/s import can afford. A column has few distinct values, so each distinct value's JSON
fragment (``"D1.1":4``) and numeric slots are computed once; a row's JSON is then one string join
of its fragments and the packed vectors are one numpy fill of an ``(n, slots)`` array.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha256
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from survey.questionnaire.batch_validation import BatchResult
from survey.storage.encoding import DTYPE, NO_ANSWER, numeric_layout

if TYPE_CHECKING:
    from survey.questionnaire.model import Questionnaire

__all__ = ["BatchEncoder", "EncodedRows", "canonical_hashes", "canonical_tail"]


def _json(value: Any) -> str:
    # The separators and ensure_ascii of payload_hash's canonical form (survey/responses.py).
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def canonical_tail(*, wave: str, community: str) -> str:
    """What follows the answers in ``payload_hash``'s canonical form (computed once per
    community, not once per row)."""
    return ',"community":' + _json(community) + ',"wave":' + _json(wave) + "}"


def canonical_hashes(sorted_answers_json: list[str], tails: list[str]) -> list[str]:
    """``payload_hash`` per row, from answers already serialised with sorted keys.

    The canonical form is ``{"answers":..,"community":..,"wave":..}`` with sorted keys, so it can
    be assembled from strings instead of dumping a dict per row.
    """
    return [
        sha256(('{"answers":' + answers + tail).encode()).hexdigest()
        for answers, tail in zip(sorted_answers_json, tails, strict=True)
    ]


def _pick(values: list[str], positions: np.ndarray) -> Sequence[str]:
    """``[values[p] for p in positions]``, looped in C."""
    if len(positions) < 2:  # itemgetter with one argument returns the item, not a tuple
        return [values[p] for p in positions.tolist()]
    return itemgetter(*positions.tolist())(values)


@dataclass
class EncodedRows:
    # Keys sorted: the canonical text the payload hash is computed over, stored as is. JSON
    # objects are unordered (PostgreSQL's jsonb would sort them anyway); one join per row
    # instead of two is worth ~5% of the import's time.
    answers_json: list[str]
    numeric: list[bytes]  # packed vectors (survey/encoding.py)


class BatchEncoder:
    """Encodes batches of one questionnaire version; build once per import."""

    def __init__(self, questionnaire: Questionnaire) -> None:
        self.questionnaire = questionnaire
        self.codes = sorted(item.code for item in questionnaire.items)  # json's sort_keys order
        self.slots = numeric_layout(questionnaire)

    def encode(self, result: BatchResult, rows: np.ndarray) -> EncodedRows:
        """The stored fields of ``rows`` (indices into the batch, valid rows only)."""
        fragment_columns: list[Sequence[str]] = []
        for code in self.codes:
            # Each fragment carries its comma, so a row is one plain join (minus the last comma);
            # the extra "" at the end stands for an answer that is not kept.
            fragments = [
                "" if v is None else _json(code) + ":" + _json(v) + ","
                for v in result.cleaned[code]
            ]
            fragments.append("")
            picks = np.where(
                result.kept[code][rows], result.columns[code].index[rows], len(fragments) - 1
            )
            fragment_columns.append(_pick(fragments, picks))
        answers = ["{" + "".join(t)[:-1] + "}" for t in zip(*fragment_columns, strict=True)]
        return EncodedRows(answers, self._numeric(result, rows))

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
