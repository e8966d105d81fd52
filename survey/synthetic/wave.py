"""One synthetic wave as columns, with the two ways out: JSON answers and the paper-import CSV."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from survey.synthetic.layout import GRID_CODE, Layout

if TYPE_CHECKING:
    from survey.synthetic.district import Community

QUALITY_LABELS = ("ok", "speeder", "straightliner", "duplicate")
CSV_FIXED_COLUMNS = ("wave", "community", "client_id", "started_at", "submitted_at")


@dataclass(frozen=True, eq=False)
class SyntheticWave:
    """Responses of one wave, one row per response, rows grouped by community.

    ``numeric`` holds raw values in ``codes`` order (the questionnaire's ``numeric_codes()``):
    likert and rating values as answered (the don't-know code, 9, included), single-choice
    items as the 1-based option index, −1 for no answer. Timestamps are UTC ``datetime64[s]``.
    """

    code: str  # wave code, e.g. "2025Q2"
    questionnaire: Any
    layout: Layout
    communities: list[Community]
    community_index: np.ndarray  # (n,) int32 into communities
    numeric: np.ndarray  # (n, p) int16
    codes: tuple[str, ...]  # p numeric codes
    strata: np.ndarray  # (n,) int8 age band × gender cell (district.CELLS)
    priorities: np.ndarray  # (n, S) bool, P1 choices in priority_codes order
    priority_codes: tuple[str, ...]
    texts: dict[int, str]  # row -> P2 free text (sparse)
    grid_index: np.ndarray  # (n,) int16 into the community's grids, −1 not answered
    durations_s: np.ndarray  # (n,) float64 seconds
    submitted_at: np.ndarray  # (n,) datetime64[s], UTC
    client_ids: np.ndarray  # (n,) <U36 uuid4 strings
    quality_label: np.ndarray  # (n,) <U13, one of QUALITY_LABELS
    duplicate_of: np.ndarray  # (n,) int64 row copied by a duplicate, −1 otherwise
    window: tuple[np.datetime64, np.datetime64]  # fieldwork [start, end), UTC

    def __len__(self) -> int:
        return len(self.community_index)

    @property
    def started_at(self) -> np.ndarray:
        return self.submitted_at - np.round(self.durations_s).astype("timedelta64[s]")

    @property
    def community_codes(self) -> list[str]:
        return [c.code for c in self.communities]

    def column(self, code: str) -> np.ndarray:
        """The numeric column of item ``code`` (a view)."""
        return self.numeric[:, self.layout.column[code]]

    def answers_dict(self, row: int) -> dict[str, Any]:
        """Row ``row`` as the JSON answers a resident submits (questionnaire order)."""
        layout = self.layout
        out: dict[str, Any] = {}
        for code in layout.item_codes:
            kind = layout.kinds[code]
            if code in layout.column:
                value = int(self.numeric[row, layout.column[code]])
                if value < 0:
                    continue
                out[code] = layout.options[code][value - 1] if kind == "single_choice" else value
            elif code == layout.priority_code:
                out[code] = [
                    c for c, on in zip(self.priority_codes, self.priorities[row], strict=True) if on
                ]
            elif kind == "text":
                text = self._text(code, row)
                if text:
                    out[code] = text
        return out

    def _text(self, code: str, row: int) -> str:
        if code == GRID_CODE:
            grid = int(self.grid_index[row])
            return self.communities[self.community_index[row]].grids[grid] if grid >= 0 else ""
        return self.texts.get(row, "") if code == self.layout.text_code else ""

    def text_column(self, code: str) -> np.ndarray:
        """Text item ``code`` for every row (object array, ``""`` for no answer)."""
        out = np.full(len(self), "", dtype=object)
        if code == GRID_CODE:
            names = np.array(["", *(g for c in self.communities for g in c.grids)], dtype=object)
            sizes = np.array([len(c.grids) for c in self.communities])
            first = 1 + np.cumsum(sizes) - sizes
            answered = self.grid_index >= 0
            flat = np.where(answered, first[self.community_index] + self.grid_index, 0)
            return np.asarray(names[flat])
        if self.texts and code == self.layout.text_code:
            out[np.fromiter(self.texts, dtype=np.int64)] = list(self.texts.values())
        return out

    def to_csv(self, path: str | Path) -> None:
        """The paper-import format: one row per response, one column per item code.

        Fixed columns ``wave, community, client_id, started_at, submitted_at`` (ISO 8601 UTC,
        ``Z``), then every item in questionnaire order: numbers as numbers, single-choice items
        as option values, multi-choice items as space-separated option values, text as text;
        empty for no answer. UTF-8.
        """
        layout = self.layout
        n = len(self)
        codes = np.array(self.community_codes, dtype=object)
        columns: list[Any] = [
            [self.code] * n,
            codes[self.community_index].tolist(),
            self.client_ids.tolist(),
            np.datetime_as_string(self.started_at, unit="s", timezone="UTC").tolist(),
            np.datetime_as_string(self.submitted_at, unit="s", timezone="UTC").tolist(),
        ]
        for code in layout.item_codes:
            kind = layout.kinds[code]
            if code in layout.column:
                values = self.numeric[:, layout.column[code]]
                if kind == "single_choice":  # −1 → "", option k (1-based) → its value
                    table = ["", "", *layout.options[code]]
                else:
                    table = ["", *(str(v) for v in range(int(values.max(initial=0)) + 1))]
                # values are −1 (no answer) or non-negative: shift by one to index the table
                lookup = np.array(table, dtype=object)
                columns.append(lookup[values.astype(np.int64) + 1].tolist())
            elif code == layout.priority_code:
                columns.append(self._multi_choice_strings().tolist())
            elif kind == "text":
                columns.append(self.text_column(code).tolist())
            else:
                columns.append([""] * n)
        with Path(path).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([*CSV_FIXED_COLUMNS, *layout.item_codes])
            writer.writerows(zip(*columns, strict=True))

    def _multi_choice_strings(self) -> np.ndarray:
        """P1 as space-separated codes, built once per distinct choice pattern."""
        bits = self.priorities.astype(np.int64) @ (1 << np.arange(self.priorities.shape[1]))
        patterns, inverse = np.unique(bits, return_inverse=True)
        labels = np.array(
            [
                " ".join(c for k, c in enumerate(self.priority_codes) if (int(p) >> k) & 1)
                for p in patterns
            ],
            dtype=object,
        )
        return labels[inverse.ravel()]
