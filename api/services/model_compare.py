"""Two weight models' rankings of one wave, side by side, from their stored snapshots.

Reading never recomputes the index: both models must have scored the wave (POST
``/api/v1/waves/{wave}/snapshots?model=NAME``). Figures of suppressed communities are read
through :func:`~api.services.published.public_row`, so none leaks into the comparison.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlmodel import Session

from api.services.published import public_row
from api.services.read_models import ResultsView
from api.services.snapshot_store import wave_results
from scoring.compare import compare_rankings
from survey.storage.models import Wave


def _arrays(view: ResultsView, codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    rank, score = np.full(len(codes), np.nan), np.full(len(codes), np.nan)
    for i, code in enumerate(codes):
        row = public_row(view, code)
        if row is not None and row.published and row.rank is not None and row.index is not None:
            rank[i], score[i] = row.rank, row.index
    return rank, score


def _header(view: ResultsView) -> dict[str, Any]:
    return {
        "model": view.ref.model_name,
        "model_version": view.ref.model_version,
        "model_key": view.model_key,
        "computed_at": view.ref.computed_at,
        "snapshot": view.ref.id,
    }


def compare_models(*, session: Session, wave: Wave, a: str, b: str) -> dict[str, Any]:
    """Rank shift per community (``rank_b − rank_a``) and Spearman/Kendall correlations."""
    view_a = wave_results(session=session, wave=wave, model_name=a)
    view_b = wave_results(session=session, wave=wave, model_name=b)
    codes = sorted(set(view_a.rows) | set(view_b.rows))
    rank_a, score_a = _arrays(view_a, codes)
    rank_b, score_b = _arrays(view_b, codes)
    comparison = compare_rankings(codes, rank_a, rank_b, score_a, score_b).to_dict()
    meta = {**view_b.meta, **view_a.meta}
    for row in comparison["communities"]:
        info = meta.get(row["code"])
        row["name"] = row["code"] if info is None else info.name
        row["street"] = None if info is None else info.street
    comparison["communities"].sort(key=lambda r: (r["rank_a"] is None, r["rank_a"] or 0, r["code"]))
    return {"wave": wave.code, "a": _header(view_a), "b": _header(view_b), **comparison}
