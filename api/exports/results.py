"""Rankings and scorecards of a stored snapshot as tables (no recomputation).

Suppressed communities keep their code, name and n but no score, interval, percentage, rank or
grade, and say why (the reason code worded by ``api/web/messages.py``, in Chinese), exactly as
the JSON and the pages do.

Both tables carry, per community (and per dimension in the scorecards), the change since the
previous wave from the one change rule (``api/services/change_rule.py``: the label code
``up|down|flat|undetermined``, its Chinese wording and the BH q-value), and for the overall
index the joint rank set, its indistinguishable group (tier), P(grade of the point estimate)
and the 临界 flag: the same values the JSON and the pages show.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from api.exports.cells import Row, Table
from api.services.rank_tiers import rank_group
from api.services.read_models import NO_ESTIMATE, CommunityRow, ResultsView
from api.services.trends import LatestChanges
from api.web.messages import excluded_text, rule_text, text
from survey.questionnaire.model import Questionnaire


def one_decimal(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def rank_interval(low: Any, high: Any) -> str | None:
    if low is None or high is None:
        return None
    low_i, high_i = int(low), int(high)
    return str(low_i) if low_i == high_i else f"{low_i}–{high_i}"


CHANGE_HEADER = [
    "变化 change (up|down|flat|undetermined)",
    "变化说明 change (zh)",
    "q 值 q-value (BH)",
]
GRADE_HEADER = [
    "联合排名区间 joint rank set",
    "无显著差别组 tier",
    "P(等级) P(grade)",
    "临界 borderline",
]


def change_cells(change: Mapping[str, Any] | None) -> list[Any]:
    """Label code, its Chinese text (with the reason of 无法判断) and q of one change cell."""
    if change is None or change.get("label") is None:
        note = None if change is None else change.get("note")
        return [None, None if not note else note.get("zh"), None]
    words = (change.get("label_text") or {}).get("zh")
    note = change.get("note")
    if change["label"] == "undetermined" and note:
        words = f"{words}（{note.get('zh')}）"
    q = change.get("q")
    return [change["label"], words, None if q is None else round(float(q), 4)]


def grade_cells(rank_set: Mapping[str, Any], grade_p: float | None, borderline: Any) -> list[Any]:
    """Joint rank set, tier, P(grade of the point estimate) and the 临界 flag (是/否)."""
    return [
        rank_interval(rank_set.get("rank_set_low"), rank_set.get("rank_set_high")),
        rank_set.get("tier"),
        None if grade_p is None else round(float(grade_p), 4),
        None if borderline is None else ("是 yes" if borderline else "否 no"),
    ]


def dimension_labels(questionnaire: Questionnaire) -> dict[str, str]:
    labels = {d.code: d.label.zh for d in questionnaire.dimensions}
    labels.update({s.code: s.label.zh for d in questionnaire.dimensions for s in d.subdimensions})
    return labels


RANKING_HEADER = [
    "排名 rank",
    "排名区间 rank interval",
    "社区代码 community code",
    "社区 community",
    "街道代码 street code",
    "街道 street",
    "小区类型 housing type",
    "样本量 n",
    "指数 index (0–100)",
    "区间下限 CI low",
    "区间上限 CI high",
    "等级 grade",
]
EXCLUSION_HEADER = [
    "收到答卷 n received",
    "排除 n excluded",
    "排除原因 excluded by rule",
    "计分 n scored",
]


def exclusion_cells(counts: Mapping[str, Any] | None) -> list[Any]:
    """A community's n received / excluded / why / scored (blank for an old snapshot)."""
    if counts is None:
        return [None] * len(EXCLUSION_HEADER)
    return [
        counts["n_received"],
        counts["n_excluded"],
        excluded_text(counts["excluded_by_rule"]) or None,
        counts["n_scored"],
    ]


def exclusions_table(exclusions: Mapping[str, Any] | None) -> Table:
    """The wave's totals: n received, n excluded by each rule of the policy, n scored."""

    def body() -> Iterator[Row]:
        if exclusions is None:
            yield ["未记录 not recorded (snapshot older than exclusion policies)", None, None]
            return
        yield ["收到答卷 n received", "n_received", exclusions["n_received"]]
        for rule, k in exclusions["excluded_by_rule"].items():
            yield [f"排除：{rule_text(rule)} excluded: {rule_text(rule, 'en')}", rule, k]
        total = "排除合计（每份计一次） n excluded, each once"
        yield [total, "n_excluded", exclusions["n_excluded"]]
        yield ["计分 n scored", "n_scored", exclusions["n_scored"]]

    return Table("排除 exclusions", ["项目 what", "代码 code", "份数 count"], body())


def rankings_table(
    rows: list[dict[str, Any]],
    dimension_codes: list[str],
    labels: dict[str, str],
    exclusions: Mapping[str, Mapping[str, Any] | None] | None = None,
) -> Table:
    """``rows`` are :func:`api.services.rankings.ranking_rows` rows, already scope-filtered;
    ``exclusions`` maps a community code to its counts (``CommunityMeta.exclusions``); the
    change columns are blank unless the rows were built with ``changes``."""
    counts = exclusions or {}
    header = [
        *RANKING_HEADER,
        *EXCLUSION_HEADER,
        *(f"{code} {labels.get(code, '')}".strip() for code in dimension_codes),
        "备注 note",
        *CHANGE_HEADER,
        *GRADE_HEADER,
    ]

    def body() -> Iterator[Row]:
        for r in rows:
            suppressed = r["suppressed"]
            yield [
                r["rank"],
                rank_interval(r["rank_low"], r["rank_high"]),
                r["community"],
                r["name"],
                r["street"],
                r["street_name"],
                r["housing_type"],
                r["n"],
                one_decimal(r["score"]),
                one_decimal(r["ci_low"]),
                one_decimal(r["ci_high"]),
                r["grade"],
                *exclusion_cells(counts.get(r["community"])),
                *(
                    None if suppressed else one_decimal(r["dimensions"].get(c))
                    for c in dimension_codes
                ),
                text(r["suppression_reason_code"]) if suppressed else None,
                *change_cells(r.get("change")),
                *grade_cells(r, r.get("grade_p"), r.get("borderline")),
            ]

    return Table("排名 rankings", header, body())


SCORECARD_HEADER = [
    "社区代码 community code",
    "社区 community",
    "街道 street",
    "层级 level",
    "代码 code",
    "指标 indicator",
    "indicator (en)",
    "得分 score (0–100)",
    "区间下限 CI low",
    "区间上限 CI high",
    "样本量 n",
    "满意比例% % positive",
    "不了解比例% % don't know",
    "等级 grade",
    "排名 rank",
    "备注 note",
    *CHANGE_HEADER,
    *GRADE_HEADER,
]
BLANK_TAIL = [None] * (len(CHANGE_HEADER) + len(GRADE_HEADER))


def _indicator_rows(questionnaire: Questionnaire) -> list[tuple[str, str, str, str]]:
    """(level, code, zh, en) in reading order: dimensions, their sub-dimensions, their items."""
    out: list[tuple[str, str, str, str]] = []
    for d in questionnaire.dimensions:
        out.append(("一级指标 dimension", d.code, d.label.zh, d.label.en or ""))
        for s in d.subdimensions:
            out.append(("二级指标 sub-dimension", s.code, s.label.zh, s.label.en or ""))
            for item in questionnaire.subdimension_items(s.code):
                out.append(("三级指标 item", item.code, item.label.zh, item.label.en or ""))
    return out


def _exclusion_rows(head: list[Any], counts: Mapping[str, Any] | None) -> Iterator[Row]:
    """The community's n received / excluded by rule / scored, in the ``样本量 n`` column."""
    if counts is None:
        return
    level = "答卷 responses"
    lines = [("n_received", "收到答卷", "received", counts["n_received"])]
    lines += [
        (f"excluded.{rule}", f"排除：{rule_text(rule)}", f"excluded: {rule_text(rule, 'en')}", k)
        for rule, k in counts["excluded_by_rule"].items()
    ]
    lines += [
        ("n_excluded", "排除合计", "excluded (each once)", counts["n_excluded"]),
        ("n_scored", "计入评分", "scored", counts["n_scored"]),
    ]
    for code, zh, en, k in lines:
        row = [*head, level, code, zh, en, None, None, None, k, None, None, None, None, None]
        yield [*row, *BLANK_TAIL]


def scorecards_table(
    view: ResultsView,
    questionnaire: Questionnaire,
    community_codes: set[str],
    changes: LatestChanges | None = None,
) -> Table:
    """Every indicator of every community in ``community_codes`` (long format); ``changes``:
    the change since the previous wave of the overall index and of each dimension."""
    indicators = _indicator_rows(questionnaire)
    dims = {d.code for d in questionnaire.dimensions}

    def change(code: str, node: str) -> list[Any]:
        return change_cells(None if changes is None else changes.community(code, node))

    def overall_grades(c: CommunityRow) -> list[Any]:
        return grade_cells(rank_group(view, c.code), c.grade_p, c.borderline)

    def body() -> Iterator[Row]:
        for c in view.rows.values():
            if c.code not in community_codes:
                continue
            info = view.meta.get(c.code)
            name = c.code if info is None else info.name
            head = [c.code, name, None if info is None else info.street_name]
            yield from _exclusion_rows(head, None if info is None else info.exclusions)
            if c.suppressed:
                yield [
                    *head,
                    "总指数 overall",
                    "overall",
                    "总指数",
                    "Overall",
                    None,
                    None,
                    None,
                    c.n,
                    None,
                    None,
                    None,
                    None,
                    text(c.reason),
                    *change(c.code, "overall"),
                    *BLANK_TAIL[len(CHANGE_HEADER) :],
                ]
                continue
            yield [
                *head,
                "总指数 overall",
                "overall",
                "总指数",
                "Overall",
                one_decimal(c.index),
                one_decimal(c.ci_low),
                one_decimal(c.ci_high),
                c.n,
                None,
                None,
                c.grade,
                c.rank,
                text(c.note),
                *change(c.code, "overall"),
                *overall_grades(c),
            ]
            yield [
                *head,
                "总体满意指数 OSI",
                "OSI",
                "总体满意指数（O1–O3）",
                "Overall satisfaction index (O1–O3)",
                one_decimal(c.osi.score),
                one_decimal(c.osi.ci_low),
                one_decimal(c.osi.ci_high),
                c.n,
                None,
                None,
                None,
                None,
                None,
                *BLANK_TAIL,
            ]
            for level, code, zh, en in indicators:
                score = ci_low = ci_high = n = pct = dk = None
                if code in dims:
                    d = c.dimensions.get(code, NO_ESTIMATE)
                    score, ci_low, ci_high = d.score, d.ci_low, d.ci_high
                elif code in c.subdimensions:
                    score = c.subdimensions[code]
                elif code in c.items:
                    score, n, dk, pct = c.items[code]
                yield [
                    *head,
                    level,
                    code,
                    zh,
                    en,
                    one_decimal(score),
                    one_decimal(ci_low),
                    one_decimal(ci_high),
                    n,
                    one_decimal(pct),
                    None if dk is None else one_decimal(100 * dk),
                    None,
                    None,
                    None,
                    *(change(c.code, code) if code in dims else BLANK_TAIL[: len(CHANGE_HEADER)]),
                    *BLANK_TAIL[len(CHANGE_HEADER) :],
                ]

    return Table("记分卡 scorecards", SCORECARD_HEADER, body())
