"""The words for codes: suppression reasons, notes and the services' explanations, zh and en.

``scoring`` and the services speak in codes (:class:`scoring.rank.Note`, :class:`Message`);
pages, JSON and exports word them through this one catalog, so a wording is changed (or
translated) in one place and no code path ever compares display strings.

Snapshots stored before the codes existed hold the Chinese (or English) text instead of the
code. :func:`note_code` maps every text this catalog gives back to its code, so the read model
(``api/services/read_models.py``) turns old rows into codes once, when it parses a snapshot.
"""

from __future__ import annotations

from enum import StrEnum

from scoring.rank import Note


class Message(StrEnum):
    """Notes of the services (trends, aggregates) that are not the engine's."""

    NOT_SCORED = "not_scored"  # the wave has no snapshot with this model
    MODEL_DIFFERS = "model_differs"  # two waves scored with different models
    NO_PREVIOUS = "no_previous"  # the first wave: no change to show
    AGGREGATION_METHOD = "aggregation_method"  # how street/district figures are averaged
    MISSING_SE = "missing_se"  # a change whose standard error is unknown
    CHANGE_UP = "change_up"  # the change rule's labels (api/services/change_rule.py)
    CHANGE_DOWN = "change_down"
    CHANGE_FLAT = "change_flat"
    CHANGE_UNDETERMINED = "change_undetermined"
    QUESTIONNAIRE_CHANGED = "questionnaire_changed"  # items reworded/dropped between waves
    BRIDGED = "bridged"  # compared over the items both questionnaires share
    LINEAGE = "lineage"  # an earlier wave's figure combined from predecessor communities
    CHANGE_RULE = "change_rule"  # the rule in one sentence, shown beside every change table


# code → (中文, English). Chinese punctuation is full-width (tests/api/test_zh_typography.py);
# the half-width wordings earlier snapshots stored are still read back (``_OLD_WORDINGS``).
CATALOG: dict[str, tuple[str, str]] = {
    Note.INSUFFICIENT_SAMPLE: ("样本不足", "insufficient sample"),
    Note.NO_SCORE: ("有效题目覆盖不足", "too few items answered"),
    Note.SMALL_SAMPLE: ("样本较少，仅供参考", "small sample, for reference only"),
    Message.NOT_SCORED: ("本轮未用此模型评分", "not scored with this model"),
    Message.MODEL_DIFFERS: ("评分模型不同，不可比较", "different weight model: not comparable"),
    Message.NO_PREVIOUS: ("无上一轮数据", "no previous wave"),
    Message.MISSING_SE: ("标准误缺失", "standard error unknown"),
    Message.CHANGE_UP: ("显著提升", "significant improvement"),
    Message.CHANGE_DOWN: ("显著下降", "significant decline"),
    Message.CHANGE_FLAT: ("基本持平", "about the same"),
    Message.CHANGE_UNDETERMINED: ("无法判断", "cannot tell"),
    Message.QUESTIONNAIRE_CHANGED: (
        "问卷题目有改动，不可比较",
        "questionnaire items changed: not comparable",
    ),
    Message.BRIDGED: (
        "问卷版本不同，仅按未改动的维度桥接比较",
        "questionnaire changed: bridged over the unchanged dimensions",
    ),
    Message.LINEAGE: (
        "由前身社区按人口加权合并计算",
        "combined from the predecessor communities, population-weighted",
    ),
    Message.CHANGE_RULE: (
        "变化标注：对本报告所有社区×（综合指数及各维度）统一用 Benjamini–Hochberg 方法"
        "控制错误发现率（q ≤ 0.10），且变化幅度达到模型阈值才标“显著”",
        "Changes are labelled significant only when, over all communities × (index and every "
        "dimension) of this report jointly, the Benjamini–Hochberg q-value is ≤ 0.10 and the "
        "change reaches the model's threshold",
    ),
    Message.AGGREGATION_METHOD: (
        "按登记常住成年人口加权的已发布社区平均（Σ N·得分 / Σ N；样本不足的社区不计入，"
        "即已发布社区居民的平均；无人口数据时按有效样本量加权）",
        "resident-weighted mean of the published communities (Σ N·score / Σ N, N = adults in "
        "the register; suppressed communities left out, so it describes the residents of the "
        "published communities; weighted by valid responses where populations are unknown)",
    ),
    # the measured effect of a completed action (api/services/action_effects.py)
    "effect_up": ("改善明显", "clear improvement"),
    "effect_flat": ("未见明显变化", "no clear change"),
    "effect_down": ("明显下降", "clear decline"),
    "effect_undetermined": ("无法判断", "cannot tell"),
    "effect_no_subdimension": ("未关联指标", "no indicator linked"),
    "effect_no_wave_before": ("缺少整改前的调查", "no survey wave before the action"),
    "effect_no_wave_after": ("整改后尚未调查", "not surveyed since the action was completed"),
    "effect_not_comparable": ("前后问卷不可比", "questionnaires not comparable"),
    "effect_no_data": ("该社区无调查数据", "no survey data for this community"),
    "effect_no_comparison": ("缺少可比社区", "no comparison community"),
    "effect_small_sample": ("样本不足", "insufficient sample"),
    "effect_missing_se": ("无法估计误差", "error could not be estimated"),
    "effect_nonpositive_se": ("无法估计误差", "error could not be estimated"),
    "effect_missing_delta": ("无法计算变化", "change could not be computed"),
    # the summary sentence of the street and district pages and GET /api/v1/action-effects
    "effects_sentence": (
        "{n} 项已完成整改中，{k} 项对应指标显著改善",
        "of {n} completed actions, {k} clearly improved the indicator they addressed",
    ),
}

# The exclusion policy's rules (api/services/exclusions.py), keyed "rule.<name>": how the
# scorecard, the exports and the rankings say why a response was left out.
CATALOG.update(
    {
        "rule.honeypot": ("隐藏题被填写", "hidden field filled"),
        "rule.speeder": ("答题过快", "answered at bot speed"),
        "rule.duplicate": ("完全重复的答卷", "exact duplicate"),
        "rule.straightliner": (
            "与反向题矛盾的一律作答",
            "straight-lining across reverse-keyed items",
        ),
        "rule.quarantined": ("已隔离的可疑批次", "quarantined suspect batch"),
    }
)


# Priorities (scoring/diagnostics.py, docs/methods.md "Derived importance"): the quadrant of a
# sub-dimension that is not clear, and the rule in one sentence ({level} and {k} filled in).
CATALOG.update(
    {
        "quadrant_undetermined": ("未定", "undetermined"),
        "priority_rule": (
            "象限判定：重要性为各分项在社区内（社区固定效应）对总体满意度的相对权重，附 {level}% "
            "自助法区间；表现以该分项的全区社区中位数为界。仅当表现与中位数之差的区间不含 0、"
            "且重要性区间不含平均份额 1/{k} 时才归入象限，否则标为“未定”。",
            "Quadrants: importance is each sub-dimension's relative weight for overall "
            "satisfaction within communities (community fixed effects), with a {level}% "
            "bootstrap interval; performance is compared with the sub-dimension's district "
            "median. A sub-dimension gets a quadrant only when the interval of its gap to the "
            "median excludes 0 and the importance interval excludes the equal share 1/{k}; "
            "otherwise it is undetermined.",
        ),
    }
)


def rule_text(rule: str, lang: str = "zh") -> str:
    """An exclusion rule's name in ``lang`` (an unknown rule comes back as itself)."""
    pair = CATALOG.get(f"rule.{rule}")
    if pair is None:
        return rule
    return pair[1] if lang == "en" else pair[0]


def excluded_text(by_rule: dict[str, int], lang: str = "zh") -> str:
    """``"答题过快 2、完全重复的答卷 1"``: the rules that excluded any response, with counts."""
    sep = "; " if lang == "en" else "、"
    return sep.join(f"{rule_text(r, lang)} {k}" for r, k in by_rule.items() if k)


_NOTES: dict[str, Note] = {n.value: n for n in Note}
# Wordings snapshots stored before the catalog's punctuation became full-width.
_OLD_WORDINGS: dict[str, Note] = {"样本较少,仅供参考": Note.SMALL_SAMPLE}
# Every wording of an engine note (zh and en) → its code: what older snapshots stored.
_LEGACY: dict[str, Note] = {
    **_OLD_WORDINGS,
    **{words: _NOTES[code] for code, pair in CATALOG.items() if code in _NOTES for words in pair},
}


def text(code: str | None, lang: str = "zh") -> str | None:
    """The code's wording in ``lang`` (None for None; an unknown code comes back as itself)."""
    if code is None:
        return None
    pair = CATALOG.get(code)
    if pair is None:
        return str(code)
    return pair[1] if lang == "en" else pair[0]


def label(code: str) -> dict[str, str]:
    """``{"zh": ..., "en": ...}``: the form the JSON notes of trends and summaries take."""
    zh, en = CATALOG.get(code, (str(code), str(code)))
    return {"zh": zh, "en": en}


def note_code(value: object, default: Note | None = None) -> Note | None:
    """The :class:`Note` of a stored value: a code, or the text an older snapshot stored.

    ``default`` answers an unknown non-empty value (a suppressed row without a known reason
    is still suppressed for too few responses: the rule every reader applied before).
    """
    if value is None or value == "":
        return None
    if isinstance(value, Note):
        return value
    key = str(value)
    return _NOTES.get(key) or _LEGACY.get(key, default)
