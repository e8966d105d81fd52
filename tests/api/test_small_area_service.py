"""api/services/small_area.py on a hand-made snapshot: the estimator decides what is ranked."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.services.read_models import parse_small_area
from api.services.small_area import small_area_estimates
from scoring.rank_sets import rank_sets
from scoring.small_area import dummies, fay_herriot

# Street A is low, street B high; A-4 has the best direct score but a tiny sample (large SE):
# its EBLUP is pulled toward street A's mean and loses the top rank.
ROWS = [
    ("A-1", "A", 60.0, 2.0),
    ("A-2", "A", 62.0, 2.0),
    ("A-3", "A", 58.0, 2.0),
    ("A-4", "A", 84.0, 9.0),
    ("B-1", "B", 80.0, 2.0),
    ("B-2", "B", 82.0, 2.0),
    ("B-3", "B", 78.0, 2.0),
    ("B-4", "B", 81.0, 2.0),
]


def results(estimator: str | None, *, drop_se: str | None = None) -> dict[str, Any]:
    order = sorted(ROWS, key=lambda r: -r[2])
    definition = {} if estimator is None else {"estimator": estimator}
    return {
        "provenance": {"ci_level": 0.9, "model_definition": definition},
        "codes": {"dimensions": ["D1"]},
        "community_meta": [{"code": c, "street": s} for c, s, _y, _se in ROWS],
        "communities": [
            {
                "code": c,
                "suppressed": False,
                "index": y,
                "se": None if c == drop_se else se,
                "rank": order.index((c, s, y, se)) + 1,
                "dimensions": {"D1": {"score": y - 1.0, "se": se}},
            }
            for c, s, y, se in ROWS
        ],
    }


def test_fay_herriot_estimator_ranks_by_eblup() -> None:
    sa = small_area_estimates(results("fay_herriot"))
    assert sa is not None and sa["estimator"] == "fay_herriot"
    fh = fay_herriot([r[2] for r in ROWS], [r[3] ** 2 for r in ROWS], dummies([r[1] for r in ROWS]))
    rs = rank_sets(fh.estimate, fh.se, alpha=0.10, coverage="individual")
    ranks = sa["ranks"]["communities"]
    for i, (code, *_rest) in enumerate(ROWS):
        assert ranks[code] == {
            "rank": int(rs.rank[i]),
            "rank_low": int(rs.lower[i]),
            "rank_high": int(rs.upper[i]),
        }
    assert ranks["A-4"]["rank"] > 1  # direct rank 1, shrunk toward street A
    top = ROWS[int(np.argmax(fh.estimate))][0]
    assert ranks[top]["rank"] == 1 and top != "A-4"
    dim = fay_herriot(
        [r[2] - 1.0 for r in ROWS], [r[3] ** 2 for r in ROWS], dummies([r[1] for r in ROWS])
    )
    got = [sa["dimensions"]["D1"]["communities"][r[0]]["estimate"] for r in ROWS]
    np.testing.assert_allclose(got, dim.estimate, atol=1e-9)
    typed = parse_small_area(sa)
    assert typed is not None and typed.estimator == "fay_herriot"
    assert typed.fit("D1") is not None
    assert typed.overall.communities["A-4"].se == pytest.approx(float(fh.se[3]), abs=1e-12)


@pytest.mark.parametrize("estimator", [None, "direct"])
def test_direct_models_keep_the_bootstrap_ranks(estimator: str | None) -> None:
    sa = small_area_estimates(results(estimator))
    assert sa is not None and sa["estimator"] == "direct" and sa["ranks"] is None
    assert sa["estimator_note"] is None
    typed = parse_small_area(sa)
    assert typed is not None and typed.ranks is None


def test_a_ranked_community_without_an_eblup_keeps_every_rank_direct() -> None:
    sa = small_area_estimates(results("fay_herriot", drop_se="B-2"))
    assert sa is not None and "B-2" not in sa["communities"]
    assert sa["estimator"] == "direct" and sa["estimator_note"] == "not_all_ranked"
    assert sa["ranks"] is None


def test_older_snapshots_read_as_direct_without_dimensions() -> None:
    sa = small_area_estimates(results(None))
    assert sa is not None
    old = {k: sa[k] for k in ("method", "design", "sigma2_v", "level", "communities")}
    typed = parse_small_area(old)
    assert typed is not None and typed.estimator == "direct" and typed.fit("D1") is None


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from("ABC"),
            st.floats(40.0, 95.0),
            st.floats(0.5, 8.0),
        ),
        min_size=7,
        max_size=20,
    )
)
def test_eblup_ranks_order_the_eblups_and_lie_in_their_sets(cells: list[Any]) -> None:
    """Property: rank 1 is the largest EBLUP, ranks follow the EBLUP order (ties share the best
    rank) and every rank lies in its per-community set, which lies in [1, m]."""
    rows = [(f"{s}-{i}", s, y, se) for i, (s, y, se) in enumerate(cells)]
    order = sorted(rows, key=lambda r: -r[2])
    raw = {
        "provenance": {"ci_level": 0.9, "model_definition": {"estimator": "fay_herriot"}},
        "codes": {"dimensions": []},
        "community_meta": [{"code": c, "street": s} for c, s, _y, _se in rows],
        "communities": [
            {
                "code": c,
                "suppressed": False,
                "index": y,
                "se": se,
                "rank": order.index((c, s, y, se)) + 1,
                "dimensions": {},
            }
            for c, s, y, se in rows
        ],
    }
    sa = small_area_estimates(raw)
    if sa is None:  # the fit refused (e.g. a rank-deficient design): nothing to rank
        return
    assert sa["estimator"] == "fay_herriot"
    ranks, est = sa["ranks"]["communities"], sa["communities"]
    m = len(rows)
    for c in ranks:
        r = ranks[c]
        assert 1 <= r["rank_low"] <= r["rank"] <= r["rank_high"] <= m
        assert r["rank"] == 1 + sum(est[o]["estimate"] > est[c]["estimate"] for o in est)
