"""P10: close a city-scale wave as a job; time from the close to a served snapshot.

Subject, per run: the admin's close (``api.services.waves.close_wave``: the status change and the
final-snapshot job, one transaction), then a worker process (``meihao worker --once``, the real
command) claims and runs the job (3,000 communities × 300 respondents, B = 1,000 bootstrap
replicates), then the first read of the stored snapshot (``wave_results``, as the rankings route
does) — until the new figures can be served. Reference, interleaved: the numerics alone,
``api.services.snapshots.score_results`` on the same wave in this process. The ratio is the price
of doing it as a job (a worker process's start-up, the queue, storing and parsing the snapshot).

The city is the one P4 seeds and caches under ``bench/out/``; between runs the wave is opened
again (its snapshots are kept: each run adds one, as a real re-close would).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.harness import interleaved, machine, summary
from bench.p4_matrix import SCALE, WAVE, sqlite_city

ID = "P10"
TITLE = "close a city wave (3,000 communities, B = 1,000) as a job → served snapshot"
REPO = Path(__file__).resolve().parent.parent
BOOTSTRAP = 1000


def run(runs: int) -> dict[str, Any]:
    from sqlalchemy import text
    from sqlmodel import Session

    from api.services.snapshot_store import clear_cache, wave_results
    from api.services.snapshots import score_results
    from api.services.waves import close_wave
    from api.services.weight_models import load_weight_model
    from survey.storage.db import make_engine
    from survey.storage.registry import get_wave

    url, responses = sqlite_city()
    engine = make_engine(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
    env |= {"MEIHAO_DATABASE_URL": url, "MEIHAO_SECRET_KEY": "bench"}
    worker_seconds: list[float] = []

    def subject() -> None:
        with engine.begin() as conn:
            conn.execute(text("UPDATE wave SET status = 'open' WHERE code = :c"), {"c": WAVE})
        with Session(engine) as session:
            close_wave(session=session, wave_code=WAVE, actor="bench", bootstrap=BOOTSTRAP)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "api.cli", "worker", "--once"],
            cwd=REPO,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        worker_seconds.append(time.perf_counter() - started)
        clear_cache()
        with Session(engine) as session:
            view = wave_results(
                session=session, wave=get_wave(session=session, code=WAVE), model_name=None
            )
            assert view.n_ranked > 0

    def reference() -> None:
        with Session(engine) as session:
            wave = get_wave(session=session, code=WAVE)
            model = load_weight_model(session=session, name=wave.default_model)
            score_results(session=session, wave=wave, model=model, bootstrap=BOOTSTRAP)

    subj, ref = interleaved(subject, reference, runs=runs, warmup=False)
    engine.dispose()
    s = summary(subj)
    ref_median = statistics.median(ref)
    return {
        "id": ID,
        **s,
        "ref_median_s": ref_median,
        "ratio": s["median_s"] / ref_median,
        "worker_median_s": statistics.median(worker_seconds),
        "note": f"close → served in {s['median_s']:.1f} s; numerics alone {ref_median:.1f} s",
        "params": {
            **SCALE,
            "rows": responses,
            "bootstrap": BOOTSTRAP,
            "runs": runs,
            "subject": "close_wave + `meihao worker --once` + first snapshot read",
            "reference": "score_results in process",
            "machine": machine(),
        },
    }
