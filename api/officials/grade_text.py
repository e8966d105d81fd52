"""Words of the honest ranks and grades (issue 12, point 6): rank sets, tiers, 临界.

Kept apart from ``api/officials/text.py`` so the pages' other catalogs can grow without
touching these lines.
"""

from __future__ import annotations

GRADE_TEXT: dict[str, tuple[str, str]] = {
    "rank_set": ("联合排名区间", "Joint rank set"),
    "tier": ("无显著差别组", "Indistinguishable group"),
    "tier_text": (
        "第 {tier} 组（第 {low}–{high} 名，组内彼此无显著差别）",
        "group {tier} (ranks {low}–{high}, which cannot be told apart)",
    ),
    "tier_alone": (
        "第 {tier} 组（仅此一个社区）",
        "group {tier} (this community alone)",
    ),
    "borderline": ("临界", "borderline"),
    "grade_p": ("P（{grade}）= {p}", "P({grade}) = {p}"),
    "rank_set_rule": (
        "联合排名区间：对所有社区两两比较（Holm 校正），所有社区的真实名次同时落在"
        "各自区间内的概率不低于 90%；同一组内的社区彼此无显著差别，名次先后不宜解读。",
        "Joint rank set: all pairs of communities compared (Holm correction); with probability "
        "at least 90 % every community's true rank lies in its set at once. Communities in one "
        "group cannot be told apart, so their order should not be read into.",
    ),
    "borderline_rule": (
        "等级按未四舍五入的指数判定，显示的分数不会落入另一等级；“临界”表示 {level}% "
        "置信区间跨越等级分界，P（等级）为自助法重抽样中落在该等级的比例。",
        "The grade is that of the unrounded index and the number shown never falls in another "
        "band; “borderline” means the {level}% interval crosses a band edge, and P(grade) is the "
        "share of bootstrap replicates in that grade.",
    ),
}
