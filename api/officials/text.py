"""The officials' pages' own words (Chinese first, English via ``?lang=en``).

The language choice itself (query parameter, cookie) is shared with the residents' pages in
``api/i18n.py``; questionnaire wording comes from the questionnaire (``api/services/labels.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from api.officials.action_text import ACTION_TEXT
from api.officials.grade_text import GRADE_TEXT
from api.officials.loop_text import LOOP_TEXT
from api.officials.small_area_text import SMALL_AREA_TEXT
from api.web.i18n import translator
from api.web.messages import CATALOG
from scoring.rank import Note

OFFICIAL_TEXT: dict[str, tuple[str, str]] = {
    "site": ("美好社区评价指数", "Meihao community index"),
    "dashboard": ("区级总览", "District dashboard"),
    "scorecard": ("社区评价报告", "Community scorecard"),
    "street_page": ("街道报告", "Street report"),
    "trends": ("趋势报告", "Trend report"),
    "wave": ("调查轮次", "Survey wave"),
    "model": ("权重模型", "Weight model"),
    "scale": ("计分方式", "Scale"),
    "scale_ptm": ("0–100 分（满分百分比）", "0–100 (percent of maximum)"),
    "interval": ("区间", "interval"),
    "rank_interval": ("排名区间", "Rank interval"),
    "interval_level": ("{level}% 置信区间", "{level}% interval"),
    "index": ("综合指数", "Overall index"),
    "osi": ("总体满意指数", "Overall satisfaction index"),
    "grade": ("等级", "Grade"),
    "rank": ("排名", "Rank"),
    "rank_text": ("第 {rank} 名 / 共 {of} 个社区", "No. {rank} of {of} communities"),
    "rank_text_street": ("第 {rank} 名 / 共 {of} 个街道", "No. {rank} of {of} streets"),
    "rank_between": ("第 {low}–{high} 名之间", "between {low} and {high}"),
    "rank_exact": ("排名区间：第 {low} 名", "rank interval: {low}"),
    "n": ("有效样本", "valid responses"),
    "n_short": ("样本量", "n"),
    "responses": ("答卷数", "responses"),
    "community": ("社区", "Community"),
    "communities": ("社区数", "communities"),
    "street": ("街道", "Street"),
    "housing_type": ("小区类型", "Housing type"),
    "all_streets": ("全部街道", "All streets"),
    "filter": ("筛选", "Filter"),
    "score": ("得分", "Score"),
    "dimension": ("一级指标", "Dimension"),
    "dimensions": ("六个维度", "The six dimensions"),
    "street_mean": ("街道平均", "Street average"),
    "district_mean": ("全区平均", "District average"),
    "housing_mean": ("同类型小区平均", "Same housing type average"),
    "change": ("与上一轮相比", "Change since the previous wave"),
    "delta": ("变化", "Change"),
    "trend": ("历次调查趋势", "Trend across waves"),
    "priorities": ("优势与重点改进", "Strengths and priorities"),
    "improve_first": ("重点改进", "Improve first"),
    "strengths": ("继续保持（优势）", "Strengths (keep up)"),
    "stated_top": ("居民最希望优先改进", "Residents' stated top priorities"),
    "importance": (
        "重要性（对总体满意度的相对权重）",
        "Importance (share of satisfaction explained)",
    ),
    "importance_interval": ("重要性（区间）", "Importance (interval)"),
    "performance": ("表现（得分）", "Performance (score)"),
    "performance_gap": (
        "表现（与该分项全区中位数之差）",
        "Performance (gap to the district median)",
    ),
    "district_median": ("全区中位数", "District median"),
    "importance_undetermined": ("重要性未定", "importance undetermined"),
    "subdimension": ("二级指标", "Sub-dimension"),
    "district_importance": (
        "各分项的重要性（全区）",
        "Importance of each sub-dimension (district)",
    ),
    "quadrant": ("象限", "Quadrant"),
    "items": ("具体题目", "Items"),
    "item": ("题目", "Item"),
    "pct_positive": ("满意/同意比例", "% positive"),
    "dk_rate": ("不了解比例", "Don't know"),
    "reverse_note": ("反向题，已换算", "reverse-keyed, recoded"),
    "who_answered": ("谁参与了调查", "Who answered"),
    "sample_share": ("样本占比", "Sample share"),
    "population_share": ("人口占比", "Population share"),
    "age_band": ("年龄", "Age"),
    "gender": ("性别", "Gender"),
    "comments": ("居民心声（急难愁盼）", "Residents' comments"),
    "comments_hidden": (
        "留言少于 {k} 条，不予显示以保护居民隐私。",
        "Fewer than {k} comments: not shown, to protect residents.",
    ),
    "suppressed": CATALOG[Note.INSUFFICIENT_SAMPLE],
    "suppressed_long": (
        "有效样本少于 {min_n} 份，不发布得分、排名和图表。",
        "Fewer than {min_n} valid responses: no score, rank or chart is published.",
    ),
    "small_sample": CATALOG[Note.SMALL_SAMPLE],
    "ranking": ("社区排名", "Community ranking"),
    "street_ranking": ("街道排名", "Street ranking"),
    "dot_plot_title": ("各社区综合指数及区间", "Overall index of each community with intervals"),
    "summary": ("全区概况", "District summary"),
    "distribution": ("得分分布", "Distribution of scores"),
    "rises": ("显著提升的社区", "Communities with a significant rise"),
    "falls": ("显著下降的社区", "Communities with a significant fall"),
    "none": ("无", "none"),
    "common_priorities": ("最常见的重点改进项", "Most common priorities"),
    "count": ("社区数", "communities"),
    "n_communities": ("{n} 个社区", "{n} communities"),
    "band": ("分数段", "score band"),
    "method": ("计算方法", "Method"),
    "not_comparable": ("不可比较", "not comparable"),
    "name": ("名称", "Name"),
    "value": ("数值", "Value"),
    "note": ("说明", "Note"),
    "series": ("系列", "Series"),
    "data_table": ("数据表", "Data table"),
    "this_community": ("本社区", "This community"),
    "point": ("综合指数", "Index"),
    "bar": ("本社区得分", "This community"),
    "street_score": ("本街道得分", "This street"),
    "back_dashboard": ("返回全区总览", "Back to the district dashboard"),
    "view_trend": ("查看趋势", "View trend"),
    "no_snapshot": ("本轮尚未评分。", "This wave has not been scored yet."),
    "print_hint": ("可直接打印（A4）", "Print-ready (A4)"),
    "language": ("English", "中文"),
    "computed_at": ("计算时间", "Computed"),
    "streets_title": ("街道", "Streets"),
    "street_of": ("所属街道", "Street"),
    **ACTION_TEXT,
    **GRADE_TEXT,
    **LOOP_TEXT,
    **SMALL_AREA_TEXT,
    "answers_line": (
        "答卷：收到 {received} 份 · 按规则排除 {excluded} 份 · 计入评分 {scored} 份",
        "Responses: {received} received · {excluded} excluded by rule · {scored} scored",
    ),
    "excluded_why": ("排除原因", "excluded because"),
    "downloads": ("下载数据", "Downloads"),
    "dl_rankings": ("社区排名", "Community ranking"),
    "dl_scorecards": ("各社区指标", "Scorecard indicators"),
    "dl_scorecard": ("本社区指标", "This community's indicators"),
    "dl_responses": ("答卷数据（去标识化）", "Responses (de-identified)"),
    "dl_codebook": ("变量说明", "Codebook"),
    "dl_note": (
        "XLSX 文件的“说明”工作表注明轮次、权重模型、置信区间和导出时间。",
        "Each XLSX file's “About” sheet names the wave, weight model, interval level and date.",
    ),
}


#: Grade bands (the default ``优/良/中/差``) in English; officials know the characters, so the
#: pages show both ("良 Good"). Bands a model names otherwise are shown as they are.
GRADE_LABELS: dict[str, str] = {"优": "Excellent", "良": "Good", "中": "Fair", "差": "Poor"}

#: Housing types as the community registry stores them (Chinese), in English.
HOUSING_LABELS: dict[str, str] = {
    "商品房小区": "Commercial estate",
    "老旧院落/企业职工生活区": "Old estate / former work-unit housing",
    "安置小区": "Resettlement estate",
    "保障性住房/人才公寓": "Affordable / talent housing",
    "自建房/城中村": "Self-built / urban village",
    "其他": "Other",
}


def grade_label(value: str | None, lang: str) -> str:
    """The English name of a grade band ("" in Chinese or for a band without one)."""
    return GRADE_LABELS.get(value or "", "") if lang == "en" else ""


def housing_label(value: str | None, lang: str) -> str:
    """A housing type in the page's language (unknown types unchanged)."""
    if not value:
        return "—"
    return HOUSING_LABELS.get(value.strip(), value) if lang == "en" else value


def official_translator(lang: str) -> Callable[..., str]:
    return translator(lang, OFFICIAL_TEXT)


def local(value: object, lang: str) -> str:
    """A ``{"zh": ..., "en": ...}`` value in the page's language (plain strings unchanged)."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("zh") or "")
    return "" if value is None else str(value)
