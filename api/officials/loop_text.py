"""The words of the loop's panels on the officials' pages: measured effects and themes (zh, en).

The effect labels and reasons themselves come from the services' catalog
(``api/web/messages.py``: ``effect_up`` …), shared with the JSON API and the export.
"""

from __future__ import annotations

from api.web.messages import CATALOG

LOOP_TEXT: dict[str, tuple[str, str]] = {
    "effects_title": ("整改成效", "Did the actions work?"),
    "effects_sentence": CATALOG["effects_sentence"],
    "effects_scope_hint": (
        "统计对象：以本轮调查衡量效果的已完成整改事项。",
        "Counted: the completed actions whose effect this wave measures.",
    ),
    "effects_none": ("本社区暂无已完成的整改事项。", "No completed action in this community yet."),
    "effects_how": (
        "效果 = 整改后本社区该项指标的变化 − 可比社区（无同类整改）的平均变化，"
        "单位为 0–100 分；区间为 {level}% 区间。",
        "Effect = this community's change in the indicator after the action minus the average "
        "change of comparable communities without such an action, in points of 0–100; "
        "the interval is {level}%.",
    ),
    "effects_action": ("整改事项", "Action"),
    "effects_indicator": ("对应指标", "Indicator"),
    "effects_waves": ("前后轮次", "Waves"),
    "effects_estimate": ("效果估计", "Effect"),
    "effects_label": ("判断", "Verdict"),
    "themes_title": ("居民急难愁盼（留言主题）", "Residents' most pressing needs (comment themes)"),
    "themes_hint": (
        "本轮共 {n} 条留言；只列出至少 {k} 条留言的主题，示例均已通过隐私处理。",
        "{n} comments this wave; only themes with at least {k} comments are listed, and "
        "every example has passed redaction.",
    ),
    "themes_hidden": (
        "留言少于 {k} 条，不分析主题，以保护居民隐私。",
        "Fewer than {k} comments: no themes, to protect residents.",
    ),
    "themes_none": ("没有达到显示条件的主题。", "No theme reaches the display threshold."),
    "theme_name": ("主题", "Theme"),
    "theme_count": ("留言数", "Comments"),
    "theme_share": ("占比", "Share"),
    "theme_examples": ("示例", "Examples"),
    "theme_trend": ("历次占比", "Share across waves"),
    "themes_model": ("主题模型", "Theme model"),
    "themes_ad_hoc": (
        "主题由本轮留言自动归纳（尚无发布的主题模型，无跨轮趋势）。",
        "Themes grouped from this wave's comments (no published theme model: no trend).",
    ),
}
