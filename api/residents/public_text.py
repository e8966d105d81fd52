"""The words of the residents' public results page (zh first, en)."""

from __future__ import annotations

PUBLIC_TEXT: dict[str, tuple[str, str]] = {
    "switch_to": ("English", "中文"),
    "public_title": ("社区评价结果公示", "Community results"),
    "loop_motto": ("你说 · 我们做", "You said · We do"),
    "wave": ("调查轮次", "Survey wave"),
    "street": ("街道", "Street"),
    "overall": ("综合满意度指数", "Overall satisfaction index"),
    "out_of": ("满分 100", "out of 100"),
    "interval": ("{level}% 可能范围 {low}–{high}", "{level}% likely range {low}–{high}"),
    "interval_hint": (
        "调查只问了部分居民，真实得分很可能落在这个范围内。",
        "Only some residents were asked; the true score very probably lies in this range.",
    ),
    "grade": ("等级", "Grade"),
    "dimensions": ("各方面得分", "Scores by area"),
    "needs": ("居民最希望改进的事", "What residents most want improved"),
    "needs_count": ("{n} 位居民选择（{pct}）", "chosen by {n} residents ({pct})"),
    "needs_none": (
        "没有哪一项被足够多的居民选择（至少 {k} 人），暂不列出。",
        "No item was chosen by enough residents (at least {k}) to be listed.",
    ),
    "themes": ("居民留言中的主要话题", "Main topics in residents' comments"),
    "theme_count": ("{n} 条留言", "{n} comments"),
    "actions": ("我们正在做的", "What we are doing"),
    "actions_for": ("针对：{what}", "For: {what}"),
    "actions_none": ("暂无整改事项。", "No actions yet."),
    "other_actions": ("其他整改事项", "Other actions"),
    "due": ("计划完成 {date}", "due {date}"),
    "done_on": ("{date} 完成", "done {date}"),
    "owner": ("责任单位", "in charge"),
    "effect": ("效果", "Effect"),
    "street_action": ("街道统筹", "street-wide"),
    "not_published": ("本轮结果暂不公布", "Results not published"),
    "print": ("打印公示（A4）", "Print notice (A4)"),
    "json": ("数据（JSON）", "Data (JSON)"),
    "how_to_read": (
        "说明：得分为 0–100 分；“变化显著”表示变化超出了抽样误差范围。"
        "本页不显示任何居民的个人答卷或留言原文。",
        "Scores run from 0 to 100; a 'significant' change is larger than sampling error. This page "
        "shows no resident's individual answers and no comment text.",
    ),
    "posted_by": ("成华区 · 美好社区居民评价", "Chenghua District · Meihao community survey"),
    "scan_again": ("扫码查看最新结果与整改进展", "Scan for the latest results and progress"),
    "results_link": ("查看本社区评价结果与整改进展", "See this community's results and actions"),
}
