"""The words of the Fay–Herriot (small-area) panels on the officials' pages (zh, en)."""

from __future__ import annotations

SMALL_AREA_TEXT: dict[str, tuple[str, str]] = {
    "fh_title": ("小样本估计（借用街道信息）", "Small-sample estimate (borrowing from the street)"),
    "fh_sentence": (
        "小样本社区同时显示借用所在街道信息的估计值：样本越少、误差越大，估计值越靠近街道平均；"
        "发布的得分仍是本社区的直接估计。",
        "A community with a small sample also shows an estimate that borrows strength from its "
        "street: the smaller the sample and the larger its error, the closer the estimate moves "
        "to the street average; the published score stays the community's own (direct) "
        "estimate.",
    ),
    "fh_used": (
        "本权重模型的排名和变化判断采用借用估计值。",
        "This weight model ranks communities and labels changes on the borrowed estimates.",
    ),
    "fh_direct": ("直接估计", "Direct estimate"),
    "fh_estimate": ("借用估计", "Borrowed estimate"),
    "fh_weight": ("本社区数据权重", "Weight of own data"),
    "fh_mark": ("借用估计", "borrowed"),
    "fh_mark_title": (
        "借用所在街道信息的估计值及其区间（小样本社区）",
        "Estimate borrowing from the street, with its interval (small sample)",
    ),
}
