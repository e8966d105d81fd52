"""``WaveResult``: everything one scoring run publishes, with its provenance.

Arrays stay numpy inside (for notebooks and trends); ``to_dict`` gives the JSON-safe snapshot
(NaN → None) with the community rows of ``docs/interfaces.md``; ``from_dict`` reads it back.
Suppressed communities carry no score of any kind in the result itself, so no view built on it
can leak one.

Grade probabilities (``grade_prob``: ``{band: P}``, and ``borderline``) are per community from
the bootstrap replicates of the index (``scoring.grades``); None without a bootstrap and for
suppressed communities. The replicates themselves (``index_reps``, (m, B)) stay on the result
in memory only: a snapshot stores the probabilities, not the replicates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scoring.rank import Note

ENGINE_VERSION = "0.1.0"


def _f(x: Any, digits: int | None = None) -> float | None:
    if x is None:
        return None
    v = float(x)
    if not math.isfinite(v):
        return None
    return round(v, digits) if digits is not None else v


def _code(value: Note | str | None) -> str | None:
    """A note as plain JSON text (its code; a snapshot stored before the codes: its text)."""
    return None if value is None else str(value)


_NOTES = {n.value: n for n in Note}


def _note(value: str | None) -> Note | str | None:
    return None if value is None else _NOTES.get(value, value)


def _arr(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@dataclass
class WaveResult:
    """Scores of one wave under one weight model (shapes: m communities, D dimensions,
    S sub-dimensions, p items)."""

    community_codes: tuple[str, ...]
    dimension_codes: tuple[str, ...]
    subdimension_codes: tuple[str, ...]
    item_codes: tuple[str, ...]
    n: np.ndarray
    n_eff: np.ndarray
    deff: np.ndarray
    index: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    rank: np.ndarray
    rank_low: np.ndarray
    rank_high: np.ndarray
    grade: list[str | None]
    suppressed: np.ndarray
    # Why suppressed / a published score's caveat, as codes (``scoring.rank.Note``); words are
    # the reader's business. Plain text only in snapshots stored before the codes.
    suppression_reason: Sequence[Note | str | None]
    note: Sequence[Note | str | None]
    dim_score: np.ndarray
    dim_se: np.ndarray
    dim_ci_low: np.ndarray
    dim_ci_high: np.ndarray
    sub_score: np.ndarray
    item_score: np.ndarray
    item_n: np.ndarray
    item_dk_rate: np.ndarray
    item_pct_positive: np.ndarray
    osi: np.ndarray
    osi_se: np.ndarray
    osi_ci_low: np.ndarray
    osi_ci_high: np.ndarray
    dimension_weights: np.ndarray
    effective_item_weights: np.ndarray
    provenance: dict[str, Any]
    weights_info: dict[str, Any] = field(default_factory=dict)
    reliability: dict[str, Any] | None = None
    priorities: dict[str, Any] | None = None
    community_priorities: list[dict[str, Any] | None] | None = None
    # P(grade) per band and the 临界 flag per community (None: no bootstrap / suppressed)
    grade_prob: list[dict[str, float] | None] | None = None
    borderline: list[bool | None] | None = None
    index_reps: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def m(self) -> int:
        return len(self.community_codes)

    @property
    def model_key(self) -> str:
        return str(self.provenance.get("model_key", ""))

    def row(self, i: int) -> dict[str, Any]:
        """The JSON-safe row of community ``i`` (see ``docs/interfaces.md``)."""
        dims = {
            c: {
                "score": _f(self.dim_score[i, d]),
                "se": _f(self.dim_se[i, d]),
                "ci_low": _f(self.dim_ci_low[i, d]),
                "ci_high": _f(self.dim_ci_high[i, d]),
            }
            for d, c in enumerate(self.dimension_codes)
        }
        subs = {
            c: {"score": _f(self.sub_score[i, s])} for s, c in enumerate(self.subdimension_codes)
        }
        items = {
            c: {
                "score": _f(self.item_score[i, j]),
                "n": int(self.item_n[i, j]),
                "dk_rate": _f(self.item_dk_rate[i, j]),
                "pct_positive": _f(self.item_pct_positive[i, j]),
            }
            for j, c in enumerate(self.item_codes)
        }
        rank = _f(self.rank[i])
        return {
            "code": self.community_codes[i],
            "n": int(self.n[i]),
            "n_eff": _f(self.n_eff[i]),
            "deff": _f(self.deff[i]),
            "index": _f(self.index[i]),
            "se": _f(self.se[i]),
            "ci_low": _f(self.ci_low[i]),
            "ci_high": _f(self.ci_high[i]),
            "rank": None if rank is None else int(rank),
            "rank_low": None if _f(self.rank_low[i]) is None else int(self.rank_low[i]),
            "rank_high": None if _f(self.rank_high[i]) is None else int(self.rank_high[i]),
            "grade": self.grade[i],
            "grade_prob": None if self.grade_prob is None else self.grade_prob[i],
            "borderline": None if self.borderline is None else self.borderline[i],
            "suppressed": bool(self.suppressed[i]),
            "suppression_reason": _code(self.suppression_reason[i]),
            "note": _code(self.note[i]),
            "dimensions": dims,
            "subdimensions": subs,
            "items": items,
            "osi": _f(self.osi[i]),
            "osi_se": _f(self.osi_se[i]),
            "osi_ci_low": _f(self.osi_ci_low[i]),
            "osi_ci_high": _f(self.osi_ci_high[i]),
            "priorities": None
            if self.community_priorities is None
            else self.community_priorities[i],
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe snapshot: provenance, weights, diagnostics and one row per community.

        Examples
        --------
        >>> import json  # doctest: +SKIP
        >>> json.dumps(result.to_dict())  # doctest: +SKIP
        """
        return {
            "provenance": self.provenance,
            "codes": {
                "dimensions": list(self.dimension_codes),
                "subdimensions": list(self.subdimension_codes),
                "items": list(self.item_codes),
            },
            "dimension_weights": {
                c: _f(w) for c, w in zip(self.dimension_codes, self.dimension_weights, strict=True)
            },
            "effective_item_weights": {
                c: _f(w) for c, w in zip(self.item_codes, self.effective_item_weights, strict=True)
            },
            "weights_info": self.weights_info,
            "n_ranked": int((~self.suppressed).sum()),
            "reliability": self.reliability,
            "priorities": self.priorities,
            "communities": [self.row(i) for i in range(self.m)],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WaveResult:
        """Inverse of :meth:`to_dict` (arrays rebuilt, None → NaN)."""
        rows = d["communities"]
        dims = tuple(d["codes"]["dimensions"])
        subs = tuple(d["codes"]["subdimensions"])
        items = tuple(d["codes"]["items"])

        def col(key: str) -> np.ndarray:
            return _arr([r[key] for r in rows])

        def nested(key: str, codes: tuple[str, ...], field_: str) -> np.ndarray:
            return np.array(
                [
                    [np.nan if r[key][c][field_] is None else r[key][c][field_] for c in codes]
                    for r in rows
                ],
                dtype=float,
            ).reshape(len(rows), len(codes))

        return cls(
            community_codes=tuple(r["code"] for r in rows),
            dimension_codes=dims,
            subdimension_codes=subs,
            item_codes=items,
            n=np.array([r["n"] for r in rows], dtype=np.int64),
            n_eff=col("n_eff"),
            deff=col("deff"),
            index=col("index"),
            se=col("se"),
            ci_low=col("ci_low"),
            ci_high=col("ci_high"),
            rank=col("rank"),
            rank_low=col("rank_low"),
            rank_high=col("rank_high"),
            grade=[r["grade"] for r in rows],
            suppressed=np.array([r["suppressed"] for r in rows], dtype=bool),
            suppression_reason=[_note(r["suppression_reason"]) for r in rows],
            note=[_note(r["note"]) for r in rows],
            dim_score=nested("dimensions", dims, "score"),
            dim_se=nested("dimensions", dims, "se"),
            dim_ci_low=nested("dimensions", dims, "ci_low"),
            dim_ci_high=nested("dimensions", dims, "ci_high"),
            sub_score=nested("subdimensions", subs, "score"),
            item_score=nested("items", items, "score"),
            item_n=nested("items", items, "n").astype(np.int64),
            item_dk_rate=nested("items", items, "dk_rate"),
            item_pct_positive=nested("items", items, "pct_positive"),
            osi=col("osi"),
            osi_se=col("osi_se"),
            osi_ci_low=col("osi_ci_low"),
            osi_ci_high=col("osi_ci_high"),
            dimension_weights=_arr([d["dimension_weights"][c] for c in dims]),
            effective_item_weights=_arr([d["effective_item_weights"][c] for c in items]),
            provenance=d["provenance"],
            weights_info=d.get("weights_info", {}),
            reliability=d.get("reliability"),
            priorities=d.get("priorities"),
            community_priorities=[r.get("priorities") for r in rows]
            if any(r.get("priorities") is not None for r in rows)
            else None,
            grade_prob=[r.get("grade_prob") for r in rows]
            if any(r.get("grade_prob") is not None for r in rows)
            else None,
            borderline=[r.get("borderline") for r in rows]
            if any(r.get("borderline") is not None for r in rows)
            else None,
        )

    def to_frames(self) -> dict[str, Any]:
        """pandas DataFrames (imported lazily): ``communities`` (one row each, wide
        dimension columns), ``items`` and ``dimensions`` (long form).

        Examples
        --------
        >>> frames = result.to_frames()  # doctest: +SKIP
        >>> frames["communities"].sort_values("rank").head()  # doctest: +SKIP
        """
        import pandas as pd  # only here: scoring itself does not depend on pandas

        base = pd.DataFrame(
            {
                "code": list(self.community_codes),
                "n": self.n,
                "n_eff": self.n_eff,
                "index": self.index,
                "se": self.se,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "rank": self.rank,
                "rank_low": self.rank_low,
                "rank_high": self.rank_high,
                "grade": self.grade,
                "suppressed": self.suppressed,
                "suppression_reason": [_code(r) for r in self.suppression_reason],
                "osi": self.osi,
            }
        )
        for d, c in enumerate(self.dimension_codes):
            base[c] = self.dim_score[:, d]
        m, p = self.item_score.shape
        items = pd.DataFrame(
            {
                "community": np.repeat(np.array(self.community_codes, dtype=object), p),
                "item": np.tile(np.array(self.item_codes, dtype=object), m),
                "score": self.item_score.ravel(),
                "n": self.item_n.ravel(),
                "dk_rate": self.item_dk_rate.ravel(),
                "pct_positive": self.item_pct_positive.ravel(),
            }
        )
        D = len(self.dimension_codes)
        dims = pd.DataFrame(
            {
                "community": np.repeat(np.array(self.community_codes, dtype=object), D),
                "dimension": np.tile(np.array(self.dimension_codes, dtype=object), m),
                "score": self.dim_score.ravel(),
                "se": self.dim_se.ravel(),
                "ci_low": self.dim_ci_low.ravel(),
                "ci_high": self.dim_ci_high.ravel(),
            }
        )
        return {"communities": base, "items": items, "dimensions": dims}
