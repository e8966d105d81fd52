"""Small synthetic waves with known truth for the scoring-engine tests (not a test module)."""

from __future__ import annotations

import numpy as np

from scoring.data import SurveyData
from scoring.framework import Framework, default_framework_dict


def framework() -> Framework:
    return Framework.from_dict(default_framework_dict())


def wave(
    m: int = 12,
    per: int | np.ndarray = 60,
    *,
    seed: int = 0,
    outcomes: bool = True,
    margins: bool = False,
    missing: float = 0.05,
) -> tuple[Framework, SurveyData, np.ndarray]:
    """A wave of ``m`` communities; returns (framework, data, true dimension effects (m, 6))."""
    fw = framework()
    rng = np.random.default_rng(seed)
    sizes = np.full(m, per) if np.isscalar(per) else np.asarray(per)
    group = np.repeat(np.arange(m), sizes)
    n = group.size
    true = rng.normal(0.3, 0.5, size=(m, 6))
    lat = true[group][:, fw.dim_of_item] + rng.normal(0, 1.0, size=(n, 36))
    X = np.clip(np.round(3 + lat), 1, 5)
    X[:, fw.reverse] = 6 - X[:, fw.reverse]
    X[rng.random((n, 36)) < missing] = np.nan
    cols = [X]
    codes = list(fw.item_codes)
    if outcomes:
        cols.append(np.clip(np.round(6 + 2 * lat[:, :3] + rng.normal(0, 1, (n, 3))), 1, 10))
        codes += ["O1", "O2", "O3"]
    kwargs = {}
    if margins:
        kwargs = {
            "strata": rng.integers(0, 10, size=n),
            "margins": rng.uniform(50, 150, size=(m, 10)),
        }
    data = SurveyData(
        np.hstack(cols),
        tuple(codes),
        group,
        tuple(f"C{i:03d}" for i in range(m)),
        durations=rng.uniform(200, 900, n),
        **kwargs,
    )
    return fw, data, true
