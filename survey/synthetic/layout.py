"""What the generator needs to know about a questionnaire, read once into plain arrays.

The response model is written against the default questionnaire's codes (DOMAIN.md); an item
it has no special model for is still answered sensibly by kind (likert and ratings from the
respondent's overall satisfaction, choices uniformly), so a revised questionnaire still works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

GRID_CODE = "grid"


@dataclass(frozen=True)
class Layout:
    questionnaire: Any
    item_codes: tuple[str, ...]  # every item, questionnaire order (CSV columns)
    kinds: dict[str, str]
    numeric_codes: tuple[str, ...]
    column: dict[str, int]  # numeric code -> column of the numeric matrix
    main_codes: tuple[str, ...]  # the index items (likert with a sub-dimension)
    reverse: np.ndarray  # (J,) bool
    item_subdim: np.ndarray  # (J,) int into subdim_codes
    subdim_codes: tuple[str, ...]
    subdim_dim: np.ndarray  # (S,) int into dim_codes
    dim_codes: tuple[str, ...]
    likert_points: dict[str, int]  # every likert item -> number of points
    na_codes: dict[str, int | None]  # likert item -> don't-know code
    rating_range: dict[str, tuple[int, int]]  # rating item -> (low, high)
    outcome_codes: tuple[str, ...]
    options: dict[str, tuple[str, ...]]  # choice item -> option values
    priority_code: str | None
    text_code: str | None  # the free-text wish (P2); "grid" is answered from the community
    priority_max: int
    required: dict[str, bool]

    @property
    def n_items(self) -> int:
        return len(self.main_codes)

    @property
    def item_dim(self) -> np.ndarray:
        return self.subdim_dim[self.item_subdim]


def layout_of(q: Any) -> Layout:
    dim_codes = tuple(d.code for d in q.dimensions)
    subdim_codes: list[str] = []
    subdim_dim: list[int] = []
    for d_index, dim in enumerate(q.dimensions):
        for sub in dim.subdimensions:
            subdim_codes.append(sub.code)
            subdim_dim.append(d_index)
    main = q.main_items()
    sub_pos = {code: k for k, code in enumerate(subdim_codes)}
    likert_points: dict[str, int] = {}
    na_codes: dict[str, int | None] = {}
    rating_range: dict[str, tuple[int, int]] = {}
    options: dict[str, tuple[str, ...]] = {}
    priority_code = None
    priority_max = 3
    for item in q.items:
        if item.kind == "likert":
            scale = q.scale(item.scale)
            likert_points[item.code] = scale.size
            na_codes[item.code] = scale.na_code
        elif item.kind == "rating":
            rating_range[item.code] = (item.low, item.high)
        elif item.kind in ("single_choice", "multi_choice"):
            options[item.code] = tuple(o.value for o in item.options)
            if item.kind == "multi_choice" and getattr(item, "priority", False):
                priority_code = item.code
                priority_max = item.max_choices or 3
    numeric_codes = tuple(q.numeric_codes())
    return Layout(
        questionnaire=q,
        item_codes=tuple(i.code for i in q.items),
        kinds={i.code: i.kind for i in q.items},
        numeric_codes=numeric_codes,
        column={code: k for k, code in enumerate(numeric_codes)},
        main_codes=tuple(i.code for i in main),
        reverse=np.array([bool(i.reverse) for i in main], dtype=bool),
        item_subdim=np.array([sub_pos[i.subdimension] for i in main], dtype=np.intp),
        subdim_codes=tuple(subdim_codes),
        subdim_dim=np.array(subdim_dim, dtype=np.intp),
        dim_codes=dim_codes,
        likert_points=likert_points,
        na_codes=na_codes,
        rating_range=rating_range,
        outcome_codes=tuple(i.code for i in q.outcome_items()),
        options=options,
        priority_code=priority_code,
        text_code=next((i.code for i in q.items if i.kind == "text" and i.code != GRID_CODE), None),
        priority_max=priority_max,
        required={i.code: bool(i.required) for i in q.items},
    )
