"""P6: bulk import of a paper-import CSV of ~1,000,000 responses (target ≥ 20,000 rows/s).

The CSV is written once by the synthetic generator (3,000 communities × 334 respondents, one
wave; ``SyntheticWave.to_csv``) and cached under ``bench/out/`` (git-ignored). Each timed run
imports it with ``survey.formats.paper.importer.import_paper`` into a fresh SQLite file on disk (the
streets, communities and wave registered first, untimed): parse, validate every row against the
questionnaire, build the stored fields, insert in one transaction, commit. Re-importing the
same file (every row a duplicate, nothing written) is timed once as an extra figure.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bench.harness import machine, summary

ID = "P6"
TITLE = "paper import of a 1,000,000-row CSV into SQLite (rows/s)"

OUT = Path(__file__).resolve().parent / "out"
SCALE = {"seed": 6, "streets": 260, "communities": 3000, "respondents_per_community": 334}
WAVE = "P6IMPORT"


def _district() -> Any:
    from survey.synthetic import generate_district

    return generate_district(
        seed=SCALE["seed"],
        n_streets=SCALE["streets"],
        n_communities=SCALE["communities"],
        waves=(WAVE,),
        respondents_per_community=SCALE["respondents_per_community"],
    )


def city_csv() -> tuple[Path, Any]:
    """The cached CSV (written on first use) and the district it came from."""
    OUT.mkdir(parents=True, exist_ok=True)
    path, marker = OUT / "p6_city.csv", OUT / "p6_city.json"
    district = _district()
    if not (marker.exists() and path.exists() and json.loads(marker.read_text()) == SCALE):
        district.waves[0].to_csv(path)
        marker.write_text(json.dumps(SCALE))
    return path, district


def _fresh_database(district: Any) -> Any:
    from survey.storage.db import make_engine
    from survey.storage.migrate import upgrade
    from survey.synthetic.seed import register_district

    path = OUT / "p6_import.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    register_district(engine, district)
    return engine


def run(runs: int) -> dict[str, Any]:
    from survey.formats.paper.importer import import_paper

    csv_path, district = city_csv()
    times: list[float] = []
    engine = None
    for _run in range(runs):  # no warm-up: each run is a cold, complete import
        if engine is not None:
            engine.dispose()
        engine = _fresh_database(district)  # untimed: registering 3,000 communities
        started = time.perf_counter()
        report = import_paper(engine=engine, path=csv_path, wave_code=WAVE)
        times.append(time.perf_counter() - started)
        if report.imported != report.rows or report.problems_total:
            raise AssertionError(f"the import did not take every row: {report.summary()}")
    assert engine is not None
    started = time.perf_counter()
    again = import_paper(engine=engine, path=csv_path, wave_code=WAVE)
    reimport_s = time.perf_counter() - started
    assert again.duplicates == report.rows and again.imported == 0
    engine.dispose()
    s = summary(times)
    return {
        "id": ID,
        **s,
        "rows_per_s": report.rows / s["median_s"],
        "reimport_rows_per_s": report.rows / reimport_s,
        "note": f"{report.rows} rows; target ≥ 20,000 rows/s",
        "params": {
            **SCALE,
            "rows": report.rows,
            "csv_bytes": csv_path.stat().st_size,
            "database": "SQLite file on disk (WAL, synchronous=FULL)",
            "runs": runs,
            "machine": machine(),
        },
    }
