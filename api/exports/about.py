"""The "说明 About" sheet every XLSX export ends with (after the data, which scripts read as
the first sheet): what the file holds, from which wave,
weight model and version, interval level, when it was computed and generated, and the
suppression rule, so a sheet forwarded by e-mail still says what it is (issue 13, point 4)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from api.exports.cells import Table
from api.services.read_models import ResultsView
from api.web.messages import text

ABOUT_TITLE = "说明 About"
ABOUT_HEADER = ["项目 item", "内容 value"]


def generated_at(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")


def about_table(entries: Sequence[tuple[str, str]]) -> Table:
    return Table(ABOUT_TITLE, ABOUT_HEADER, [list(e) for e in entries])


def results_about(view: ResultsView, *, what: str, scope: str) -> Table:
    """The About sheet of an export read from a snapshot (rankings, scorecards)."""
    p = view.provenance
    level = round(p.ci_level * 100)
    return about_table(
        [
            ("内容 contents", what),
            ("调查轮次 wave", view.ref.wave),
            ("权重模型 weight model", f"{view.ref.model_name} v{view.ref.model_version}"),
            ("计分方式 scale", p.preset or ""),
            ("置信区间 interval level", f"{level}%"),
            ("计算时间 computed at", view.ref.computed_at.strftime("%Y-%m-%d %H:%M")),
            ("导出时间 generated at", generated_at()),
            ("范围 scope", scope),
            (
                "不发布规则 suppression rule",
                f"有效样本少于 {p.min_n} 份的社区不发布得分、区间、排名和等级，"
                f"备注为“{text('insufficient_sample')}”；已发布但样本较少的社区备注为"
                f"“{text('small_sample')}”。 Fewer than {p.min_n} valid responses: no "
                "score, interval, rank or grade is published; small samples are noted.",
            ),
            ("数据摘要 data hash", view.ref.data_hash),
        ]
    )


def data_about(wave: str, *, what: str, entries: Sequence[tuple[str, str]] = ()) -> Table:
    """The About sheet of a response export or codebook (no snapshot behind it)."""
    return about_table(
        [
            ("内容 contents", what),
            ("调查轮次 wave", wave),
            ("导出时间 generated at", generated_at()),
            *entries,
        ]
    )
