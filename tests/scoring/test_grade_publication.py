"""P(grade) and the 临界 flag travel from the bootstrap to the published result (issue 12, 6):
they equal ``grade_probabilities`` on the run's own replicates, an independent count of the
replicates per band, and survive the snapshot round trip; none without a bootstrap, none for
suppressed communities."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from scoring.grades import grade_probabilities
from scoring.pipeline import score_wave
from scoring.result import WaveResult
from scoring.weight_model import builtin_model
from tests.support.scoring_synth import wave


def _bands_through(values: np.ndarray) -> list[list[object]]:
    """Bands whose edges sit among the communities' scores, so some intervals straddle one."""
    lo, mid, hi = np.quantile(values, [0.25, 0.5, 0.75])
    return [["A", float(hi)], ["B", float(mid)], ["C", float(lo)], ["D", None]]


@pytest.fixture(scope="module")
def scored() -> tuple[WaveResult, list[list[object]]]:
    fw, data, _ = wave(m=14, per=np.r_[np.full(13, 40), 8], seed=3)
    first = score_wave(data, fw, builtin_model("equal"), bootstrap=0, diagnostics=False)
    bands = _bands_through(first.index[~first.suppressed])
    model = dataclasses.replace(builtin_model("equal"), grade_bands=bands)
    res = score_wave(data, fw, model, bootstrap=200, random_state=5, diagnostics=False)
    return res, bands


def test_probabilities_equal_grade_probabilities_on_the_replicates(scored) -> None:
    res, bands = scored
    assert res.index_reps is not None and res.grade_prob is not None
    assert res.suppressed.any()  # the 8-respondent community
    g = grade_probabilities(res.index_reps.T, res.index, bands, level=0.90)
    for i in range(res.m):
        if res.suppressed[i]:
            assert res.grade_prob[i] is None and res.borderline[i] is None
            continue
        got = [res.grade_prob[i][label] for label in g.labels]
        np.testing.assert_allclose(got, g.prob[i], atol=1e-12, rtol=0)
        assert res.borderline[i] == bool(g.borderline[i])


def test_independent_count_per_band_and_interval_straddle(scored) -> None:
    res, bands = scored
    edges = [float(b[1]) for b in bands[:-1]]  # descending
    labels = [str(b[0]) for b in bands]

    def band(x: float) -> int:
        return next((k for k, e in enumerate(edges) if x >= e), len(edges))

    flags = []
    for i in np.flatnonzero(~res.suppressed):
        reps = res.index_reps[i].astype(float)
        counts = np.bincount([band(x) for x in reps], minlength=len(labels)) / reps.size
        np.testing.assert_allclose(
            [res.grade_prob[i][lab] for lab in labels], counts, atol=1e-12, rtol=0
        )
        lo, hi = np.quantile(reps, [0.05, 0.95])
        assert res.borderline[i] == (band(lo) != band(hi))
        assert res.grade[i] == labels[band(float(res.index[i]))]  # grade of the unrounded value
        flags.append(res.borderline[i])
    assert any(flags) and not all(flags)  # the bands cut the data: both cases are exercised


def test_snapshot_round_trip_keeps_the_probabilities(scored) -> None:
    res, _ = scored
    d = json.loads(json.dumps(res.to_dict()))
    back = WaveResult.from_dict(d)
    for i, row in enumerate(d["communities"]):
        if res.grade_prob[i] is None:
            assert row["grade_prob"] is None
            continue
        for label, p in res.grade_prob[i].items():
            assert abs(row["grade_prob"][label] - p) <= 1e-12
        assert back.borderline[i] == res.borderline[i]


def test_no_bootstrap_no_probabilities() -> None:
    fw, data, _ = wave(m=4, per=30, seed=1)
    res = score_wave(data, fw, builtin_model("equal"), bootstrap=0, diagnostics=False)
    assert res.grade_prob is None and res.borderline is None
    row = res.row(0)
    assert row["grade_prob"] is None and row["borderline"] is None
