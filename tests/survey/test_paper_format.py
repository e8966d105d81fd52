"""The paper-import format's cell rules: numbers, choices, times, column letters."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.formats.paper.cells import MISSING, _parse_each, converter, parse_times, storage_times
from survey.formats.paper.importer import BEIJING
from survey.formats.tabular import cell_text, column_letter
from survey.questionnaire.model import load_default

Q = load_default()


@pytest.mark.parametrize(
    ("code", "text", "value"),
    [
        ("D1.1", "4", 4), ("D1.1", " 4.0 ", 4), ("D1.1", "4.5", 4.5), ("D1.1", "four", "four"),
        ("D1.1", "", None), ("D1.1", "  ", None), ("O1", "10", 10),
        ("gender", " female ", "female"), ("gender", "", None),
        ("P1", "D1a D2b", ("D1a", "D2b")), ("P1", "D1a,D2b、D3c", ("D1a", "D2b", "D3c")),
        ("P1", " ", None), ("P2", " 很好 ", " 很好 "), ("P2", " ", None),
    ],
)  # fmt: skip
def test_cells_become_the_values_validation_checks(code: str, text: str, value: object) -> None:
    converted = converter(Q.item(code))(text)
    assert converted == value and type(converted) is type(value)


def test_excel_cells_read_as_text() -> None:
    assert [cell_text(v) for v in (None, 4.0, 4.5, 7, True, "x")] == [
        "",
        "4",
        "4.5",
        "7",
        "TRUE",
        "x",
    ]
    assert cell_text(datetime(2026, 5, 1, 8, 30)) == "2026-05-01T08:30:00"
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


def _us(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


def test_times_with_and_without_offsets() -> None:
    cells = [
        "2026-05-01T08:00:00Z",
        "2026-05-01 16:00",
        "2026-05-01T16:00:00+08:00",
        "",
        "2026-05-01T10:00:00.5-06:00",
        "soon",
        "2026-02-30 10:00",
    ]
    moments, bad = parse_times(cells, BEIJING)
    eight = _us(datetime(2026, 5, 1, 8, tzinfo=UTC))
    assert moments[:3].tolist() == [eight] * 3
    assert moments[3] == MISSING
    assert moments[4] == _us(datetime(2026, 5, 1, 16, 0, 0, 500000, tzinfo=UTC))
    assert bad == [5, 6]


STAMPS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1))


@settings(max_examples=100, deadline=None)
@given(
    moments=st.lists(st.one_of(st.none(), STAMPS), min_size=1, max_size=30),
    utc=st.booleans(),
    seconds=st.booleans(),
    sep=st.sampled_from(["T", " "]),
)
def test_the_whole_column_path_agrees_with_cell_by_cell(
    moments: list[datetime | None], utc: bool, seconds: bool, sep: str
) -> None:
    spec = "seconds" if seconds else "minutes"
    cells = [
        "" if m is None else m.isoformat(sep=sep, timespec=spec) + ("Z" if utc else "")
        for m in moments
    ]
    fast, bad = parse_times(cells, BEIJING)
    slow, slow_bad = _parse_each(cells, BEIJING)
    assert bad == slow_bad == [] and fast.tolist() == slow.tolist()


def test_a_zone_with_daylight_saving_is_applied_per_cell() -> None:
    # The column path only knows one fixed offset; Berlin's changes, so each cell decides.
    berlin = ZoneInfo("Europe/Berlin")
    moments, bad = parse_times(["2026-01-15 10:00", "2026-07-15 10:00"], berlin)
    assert bad == [] and moments.tolist() == [
        _us(datetime(2026, 1, 15, 9, tzinfo=UTC)),
        _us(datetime(2026, 7, 15, 8, tzinfo=UTC)),
    ]


def test_storage_times_for_each_database() -> None:
    moments = np.array([_us(datetime(2026, 5, 1, 8, 30, tzinfo=UTC)), MISSING])
    assert storage_times(moments, "sqlite") == ["2026-05-01 08:30:00.000000", None]
    assert storage_times(moments, "postgresql") == [datetime(2026, 5, 1, 8, 30, tzinfo=UTC), None]
