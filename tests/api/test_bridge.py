"""The survey → scoring bridge reads the weighting grid from the cell labels, assuming nothing."""

from __future__ import annotations

import pytest

from api.services.bridge import margin_shape


def test_grid_of_two_genders() -> None:
    labels = [f"{a}|{g}" for a in ("18-29", "30-44", "45-59") for g in ("male", "female")]
    assert margin_shape(labels) == (3, 2)


def test_grid_with_a_third_gender_option() -> None:
    labels = [f"{a}|{g}" for a in ("18-39", "40+") for g in ("male", "female", "other")]
    assert margin_shape(labels) == (2, 3)


def test_no_cells_means_no_raking() -> None:
    assert margin_shape([]) is None


def test_cells_that_are_not_a_grid_are_refused() -> None:
    with pytest.raises(ValueError, match="not an age × gender grid"):
        margin_shape(["18-29|male", "18-29|female", "30-44|male"])
    with pytest.raises(ValueError, match="not an age × gender grid"):
        margin_shape(["18-29|male", "30-44|male", "18-29|female", "30-44|female"])
