"""G1: the synthetic generator at city scale (3,000 communities × 300 responses, one wave).

Target (PERFORMANCE.md): well under a minute; we aim for < 10 s. No reference: the figure of its
own is ``rows_per_s``; writing the wave as the paper-import CSV is timed once as an extra.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import interleaved, machine, summary

ID = "G1"
TITLE = "synthetic generator, city scale (3,000 × 300)"

SCALE = {"streets": 260, "communities": 3000, "respondents_per_community": 300, "waves": 1}


def run(runs: int) -> dict[str, Any]:
    from survey.questionnaire.model import load_default
    from survey.synthetic import SyntheticDistrict, generate_district

    questionnaire = load_default()
    last: list[SyntheticDistrict] = []

    def subject() -> None:
        last.clear()  # keep at most one city in memory
        last.append(
            generate_district(
                seed=0,
                n_streets=SCALE["streets"],
                n_communities=SCALE["communities"],
                waves=("2025Q2",),
                respondents_per_community=SCALE["respondents_per_community"],
                questionnaire=questionnaire,
            )
        )

    times, _ = interleaved(subject, None, runs=runs)
    wave = last[0].waves[0]
    n_rows = len(wave)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "city.csv"
        started = time.perf_counter()
        wave.to_csv(path)
        csv_s = time.perf_counter() - started
        csv_bytes = path.stat().st_size
    stats = summary(times)
    return {
        "id": ID,
        **stats,
        "params": {**SCALE, "rows": n_rows, "runs": runs, "machine": machine()},
        "rows_per_s": n_rows / stats["median_s"],
        "csv_write_s": csv_s,
        "csv_rows_per_s": n_rows / csv_s,
        "csv_file_bytes": csv_bytes,
    }
