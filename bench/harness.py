"""Shared timing helpers: warm-up, interleaved repeats, medians, and the results file.

Every benchmark module in this package defines ``ID`` (e.g. ``"P1"``), ``TITLE`` and
``run(runs: int) -> dict``; the dict holds at least ``id``, ``median_s`` and ``params`` and, where
there is a reference measured in the same run, ``ref_median_s`` and ``ratio``
(see ../shared/design/PERFORMANCE.md).
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"


def machine() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d"),
    }


def time_once(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(
    subject: Callable[[], Any],
    reference: Callable[[], Any] | None,
    *,
    runs: int,
    ref_runs: int | None = None,
    warmup: bool = True,
) -> tuple[list[float], list[float]]:
    """Time subject and reference alternately, so machine noise hits both alike."""
    if warmup:
        subject()
        if reference is not None and (ref_runs is None or ref_runs > 0):
            reference()
    subject_times: list[float] = []
    reference_times: list[float] = []
    n_ref = runs if ref_runs is None else ref_runs
    for i in range(runs):
        subject_times.append(time_once(subject))
        if reference is not None and i < n_ref:
            reference_times.append(time_once(reference))
    return subject_times, reference_times


def summary(times: list[float]) -> dict[str, float]:
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}


def write_results(rows: list[dict[str, Any]]) -> None:
    """Merge ``rows`` into results.json by id, so running one benchmark keeps the others."""
    existing: dict[str, dict[str, Any]] = {}
    if RESULTS_PATH.exists():
        try:
            existing = {r["id"]: r for r in json.loads(RESULTS_PATH.read_text())}
        except (ValueError, KeyError, TypeError):
            existing = {}
    for row in rows:
        existing[row["id"]] = row
    ordered = sorted(existing.values(), key=lambda r: r["id"])
    RESULTS_PATH.write_text(json.dumps(ordered, indent=2, ensure_ascii=False))
