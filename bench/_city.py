"""City-scale synthetic wave for the scoring benchmarks (P1–P3, P9): seeded numpy only.

3,000 communities × 300 respondents × 36 items + O1–O3, 10 age × gender cells with margins,
about 5% don't-know answers. Kept here (not in ``survey``) so the scoring benchmarks do not
depend on the questionnaire package.
"""

from __future__ import annotations

import numpy as np

from scoring.data import SurveyData
from scoring.framework import Framework, default_framework_dict

CITY = {"communities": 3000, "per_community": 300, "items": 36, "outcomes": 3}


def city_wave(
    m: int = CITY["communities"], per: int = CITY["per_community"], seed: int = 2024
) -> tuple[Framework, SurveyData]:
    fw = Framework.from_dict(default_framework_dict())
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(m), per)
    n = group.size
    true = rng.normal(0.3, 0.5, size=(m, 6))
    X = np.empty((n, 39))
    # Built in row chunks to keep the generator's own temporaries small.
    for a in range(0, n, 100_000):
        b = min(n, a + 100_000)
        lat = true[group[a:b]][:, fw.dim_of_item] + rng.normal(0, 1.0, size=(b - a, 36))
        items = np.clip(np.round(3 + lat), 1, 5)
        items[:, fw.reverse] = 6 - items[:, fw.reverse]
        items[rng.random((b - a, 36)) < 0.05] = np.nan
        X[a:b, :36] = items
        X[a:b, 36:] = np.clip(np.round(6 + 2 * lat[:, :3] + rng.normal(0, 1, (b - a, 3))), 1, 10)
    data = SurveyData(
        X,
        (*fw.item_codes, "O1", "O2", "O3"),
        group,
        tuple(f"C{i:04d}" for i in range(m)),
        strata=rng.integers(0, 10, size=n),
        margins=rng.uniform(50, 150, size=(m, 10)),
        durations=rng.uniform(120, 900, size=n),
    )
    return fw, data
