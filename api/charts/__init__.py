"""Charts drawn on the server as self-contained, accessible SVG (no JavaScript, no assets).

Each chart function returns a :class:`Chart`: the ``<svg>`` (with ``<title>``/``<desc>``) and
the same numbers as a table, rendered together by ``templates/_chart.html``.
"""

from api.charts._svg import NARROW_WIDTH, Chart, GradeEdge, grade_edges
from api.charts.bars import BarRow, MarkSeries, bar_chart, histogram
from api.charts.dots import DotRow, Reference, dot_plot
from api.charts.ipa import IpaPoint, ipa_scatter
from api.charts.trend import TrendPoint, TrendSeries, trend_chart

__all__ = [
    "NARROW_WIDTH",
    "BarRow",
    "Chart",
    "DotRow",
    "GradeEdge",
    "IpaPoint",
    "MarkSeries",
    "Reference",
    "TrendPoint",
    "TrendSeries",
    "bar_chart",
    "dot_plot",
    "grade_edges",
    "histogram",
    "ipa_scatter",
    "trend_chart",
]
