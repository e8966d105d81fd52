"""A score shown beside its grade never reads as the next band's ("60.0 … 差" where 中 starts
at 60, issue 13): worked examples, and every score/grade pair on the rendered pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from api.officials.views import graded_num
from tests.support.officials_district import LAST, sign_in

EDGES = [60.0, 80.0, 90.0]


def band(value: float, bands: list[tuple[str, float | None]]) -> str:
    return next(name for name, low in bands if low is None or value >= low)


def test_worked_examples() -> None:
    assert graded_num(59.96, EDGES) == "59.96"  # not "60.0" beside 差
    assert graded_num(59.996, EDGES) == "59.99"  # cut, not rounded up to 60.00
    assert graded_num(59.94, EDGES) == "59.9"
    assert graded_num(60.0, EDGES) == "60.0" and graded_num(60.04, EDGES) == "60.0"
    assert graded_num(79.95, [72.5]) == "80.0"  # no edge crossed: one decimal
    assert graded_num(72.46, [72.5]) == "72.46"
    assert graded_num(None, EDGES) == "—"


@given(st.floats(min_value=0, max_value=100, allow_nan=False))
def test_the_shown_number_falls_in_the_same_band(value: float) -> None:
    bands: list[tuple[str, float | None]] = [("优", 90.0), ("良", 80.0), ("中", 60.0), ("差", None)]
    assert band(float(graded_num(value, EDGES)), bands) == band(value, bands)


def test_rendered_scores_agree_with_their_grades(officials_client: TestClient) -> None:
    client = sign_in(officials_client, "admin")
    card = client.get(f"/api/v1/waves/{LAST}/communities/CH02-001/scorecard").json()
    bands = [(name, low) for name, low in card["grade_bands"]]
    html = client.get(f"/waves/{LAST}?lang=zh").text
    pairs = re.findall(
        r'<strong class="score">([\d.]+)</strong>\s*<span class="ci"[^>]*>[^<]*</span>\s*'
        r'<span class="grade grade-([^"]+)">',
        html,
    )
    assert len(pairs) >= 10
    for shown, grade in pairs:
        assert band(float(shown), bands) == grade, (shown, grade)


def test_values_a_hair_under_an_edge() -> None:
    assert graded_num(59.9999999999, EDGES) == "59.99"
    assert graded_num(89.999, EDGES) == "89.99"
