"""``meihao worker``: take queued scoring jobs from the database and run them.

Several workers may run at once against PostgreSQL (each job is claimed by exactly one); on
SQLite the server runs jobs itself, so a worker is only needed there when
``MEIHAO_JOBS_IN_PROCESS=false``. A worker that is killed loses its job after one lease
(``MEIHAO_JOB_LEASE_SECONDS``), and another worker retries it.

Between jobs, at most every ``INTERVAL_S``, a worker also does the waves' periodic work
(api/services/schedule.py: due opens and closes, ballot-stuffing scans, the daily retention
purge), so a deployment with workers does it even when no staff member signs in.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from typing import Any

from api.cli.job_progress import ProgressLine
from api.services.jobs import claim, run_job
from api.services.schedule import INTERVAL_S, periodic_of, settle_due_waves
from api.settings import get_settings
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade


def add_parsers(sub: Any) -> None:
    worker = sub.add_parser("worker", help="run queued scoring jobs (several may run at once)")
    worker.add_argument("--once", action="store_true", help="run what is queued, then exit")
    worker.add_argument("--poll", type=float, default=1.0, help="seconds between empty polls")
    worker.add_argument("--lease", type=float, default=None, help="lease seconds of a job")
    worker.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    lease_s = args.lease or settings.job_lease_seconds
    engine = make_engine(settings.database_url)
    upgrade(engine)
    name = f"{socket.gethostname()}:{os.getpid()}"
    print(f"worker {name} waiting for scoring jobs (lease {lease_s:g} s)", flush=True)
    periodic = periodic_of(settings)
    settled_at = -INTERVAL_S
    try:
        while True:
            if time.monotonic() - settled_at >= INTERVAL_S:
                settled_at = time.monotonic()
                try:
                    for change in settle_due_waves(engine, periodic=periodic).changed:
                        print(f"schedule: {change}", flush=True)
                except Exception as error:  # a lost connection: the jobs still run, retry later
                    print(f"schedule: failed ({type(error).__name__}: {error})", flush=True)
            taken = claim(engine, lease_s=lease_s)
            if taken is None:
                if args.once:
                    return 0
                time.sleep(args.poll)
                continue
            started = time.monotonic()
            job_id = taken.job_id
            print(f"job {job_id}: started", flush=True)
            say = ProgressLine(f"job {job_id}", sys.stdout)
            status = run_job(engine, taken, lease_s=lease_s, progress=say)
            print(f"job {job_id}: {status} in {time.monotonic() - started:.1f} s", flush=True)
    except KeyboardInterrupt:
        return 0
    finally:
        engine.dispose()
