"""All actions of a scope as a workbook: one row per action, one per progress note, and the
measured effect of each completed action (empty while not measured; api/services/loop_seams.py).

Text cells go through ``api.exports.cells`` (formula-inert), as every other export does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi.responses import FileResponse

from api.exports.cells import Row, Table, xlsx_response

ACTIONS_XLSX_NAME = "整改事项-actions.xlsx"

ACTION_HEADER = [
    "编号 id",
    "范围 scope",
    "代码 code",
    "名称 name",
    "街道 street",
    "事项 title",
    "对应指标 codes",
    "指标名称 indicators",
    "责任单位 owner",
    "开始日期 start",
    "完成期限 due",
    "状态 status",
    "逾期 overdue",
    "完成时间 completed at",
    "预算（元） budget",
    "主题 theme",
    "依据轮次 wave",
    "创建人 created by",
    "创建时间 created at",
    "进展记录数 notes",
    "效果轮次 effect wave",
    "效果估计 effect",
    "效果区间下限 effect CI low",
    "效果区间上限 effect CI high",
    "效果判断 effect label",
]
NOTE_HEADER = ["事项编号 action id", "时间 at", "状态 status after", "记录人 author", "进展 note"]


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _effect(view: dict[str, Any]) -> list[Any]:
    effect = view.get("effect") or {}
    return [
        effect.get("wave"),
        effect.get("estimate"),
        effect.get("ci_low"),
        effect.get("ci_high"),
        effect.get("label"),
    ]


def actions_table(views: Sequence[dict[str, Any]]) -> Table:
    def body() -> Iterator[Row]:
        for v in views:
            yield [
                v["id"],
                "社区" if v["scope_level"] == "community" else "街道",
                v["scope_code"],
                v["scope_name"],
                v["street"],
                v["title"],
                ", ".join(v["codes"]),
                "、".join(label["zh"] for label in v["code_labels"]),
                v["owner"],
                _iso(v["start_date"]),
                _iso(v["due_date"]),
                v["status_label"]["zh"],
                "是" if v["overdue"] else "否",
                _iso(v["completed_at"]),
                v["budget"],
                v["theme"],
                v["wave_code"],
                v["created_by"],
                _iso(v["created_at"]),
                len(v.get("notes") or []),
                *_effect(v),
            ]

    return Table("整改事项 actions", ACTION_HEADER, body())


def notes_table(views: Sequence[dict[str, Any]]) -> Table:
    def body() -> Iterator[Row]:
        for v in views:
            for note in v.get("notes") or []:
                yield [
                    v["id"],
                    _iso(note["created_at"]),
                    note["status_after"],
                    note["author"],
                    note["note"],
                ]

    return Table("进展记录 notes", NOTE_HEADER, body())


def actions_xlsx(views: Sequence[dict[str, Any]]) -> FileResponse:
    return xlsx_response(ACTIONS_XLSX_NAME, [actions_table(views), notes_table(views)])
