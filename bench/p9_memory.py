"""P9: peak memory of scoring a city-scale wave (full ``score_wave``: B = 1,000, diagnostics).

The wave is generated once and saved as ``.npy`` files; a fresh subprocess loads them and scores
the wave, then reports its own peak RSS (``VmHWM`` from ``/proc/self/status``; not
``ru_maxrss``, which Linux carries over from the benchmark parent across fork + exec). The
reference figure is the size of the matrix itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._city import CITY, city_wave
from bench.harness import machine, summary

ID = "P9"
TITLE = "peak RSS scoring a city-scale wave (subprocess) vs matrix size"

CHILD = r"""
import json, resource, sys, time
import numpy as np
from scoring.data import SurveyData
from scoring.framework import Framework, default_framework_dict
from scoring.pipeline import score_wave
from scoring.weight_model import builtin_model
d = sys.argv[1]
load = lambda k: np.load(f"{d}/{k}.npy")
codes = json.load(open(f"{d}/codes.json"))
data = SurveyData(load("X"), tuple(codes["codes"]), load("group"), tuple(codes["groups"]),
                  strata=load("strata"), margins=load("margins"), durations=load("durations"))
fw = Framework.from_dict(default_framework_dict())
t = time.perf_counter()
res = score_wave(data, fw, builtin_model("expert-v0"), bootstrap=1000, random_state=0)
elapsed = time.perf_counter() - t
# VmHWM is this process's own high-water mark. ru_maxrss is not: Linux carries the parent's
# peak across fork + exec, so a big benchmark parent would be charged to the child.
try:
    status = open("/proc/self/status").read()
    peak = int(next(l for l in status.splitlines() if l.startswith("VmHWM")).split()[1]) * 1024
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"peak_rss_bytes": peak, "elapsed_s": elapsed,
                  "ranked": int((~res.suppressed).sum())}))
"""


def run(runs: int) -> dict[str, Any]:
    _fw, data = city_wave()
    root = Path(__file__).resolve().parent.parent
    times, peaks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for key in ("X", "strata", "margins", "durations"):
            np.save(f"{tmp}/{key}.npy", getattr(data, key))
        np.save(f"{tmp}/group.npy", data.group_index)
        Path(f"{tmp}/codes.json").write_text(
            json.dumps({"codes": list(data.codes), "groups": list(data.group_codes)})
        )
        matrix_bytes = int(data.X.nbytes)
        del data
        for _ in range(max(1, min(runs, 2))):  # each run is a full scoring pass (~20 s)
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", CHILD, tmp],
                capture_output=True,
                text=True,
                cwd=root,
                check=True,
            )
            times.append(time.perf_counter() - start)
            peaks.append(json.loads(out.stdout.strip().splitlines()[-1])["peak_rss_bytes"])
    peak = int(max(peaks))
    return {
        "id": ID,
        **summary(times),
        "peak_rss_bytes": peak,
        "matrix_bytes": matrix_bytes,
        "ratio": peak / matrix_bytes,
        "note": f"peak {peak / 2**30:.2f} GiB (target ≤ 2 GB); "
        f"matrix {matrix_bytes / 2**20:.0f} MiB; times include loading",
        "params": {
            **CITY,
            "bootstrap": 1000,
            "diagnostics": True,
            "runs": len(times),
            "machine": machine(),
        },
    }
