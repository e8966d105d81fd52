"""A small questionnaire definition exercising every item kind, skip logic and constraints
(validation and XLSForm tests)."""

from __future__ import annotations

import copy
from typing import Any

from survey.questionnaire.model import load_default


def _t(zh: str) -> dict[str, str]:
    return {"zh": zh, "en": zh.upper()}


def small_definition() -> dict[str, Any]:
    default = load_default().to_dict()
    yes_no = [{"value": "yes", "label": _t("是")}, {"value": "no", "label": _t("否")}]
    return {
        "slug": "small",
        "version": 1,
        "title": _t("小问卷"),
        "notice": _t("说明"),
        "scales": copy.deepcopy(default["scales"]),
        "dimensions": [
            {"code": "D1", "label": _t("一"), "subdimensions": [{"code": "D1a", "label": _t("甲")}]}
        ],
        "sections": [
            {"code": "intro", "title": _t("开始")},
            {"code": "D1", "title": _t("一"), "dimension": "D1"},
            {"code": "more", "title": _t("更多")},
        ],
        "items": [
            {"code": "car", "kind": "single_choice", "section": "intro", "label": _t("车"),
             "options": yes_no},
            {"code": "D1.1", "kind": "likert", "section": "D1", "label": _t("题一"),
             "scale": "agree5", "subdimension": "D1a"},
            {"code": "D1.2", "kind": "likert", "section": "D1", "label": _t("停车"),
             "scale": "agree5", "subdimension": "D1a", "reverse": True,
             "relevant": "${car} = 'yes'"},
            {"code": "kids", "kind": "numeric", "section": "more", "label": _t("孩子"),
             "min": 0, "max": 10},
            {"code": "kids_ok", "kind": "rating", "section": "more", "label": _t("托育"),
             "low": 0, "high": 10, "low_label": _t("差"), "high_label": _t("好"),
             "relevant": "${kids} > 0"},
            {"code": "pick", "kind": "multi_choice", "section": "more", "label": _t("选"),
             "max_choices": 2, "required": False,
             "options": [{"value": v, "label": _t(v)} for v in ("a", "b", "c")]},
            {"code": "why", "kind": "text", "section": "more", "label": _t("为什么"),
             "max_length": 10, "relevant": "count-selected(${pick}) >= 1"},
            {"code": "height", "kind": "numeric", "section": "more", "label": _t("身高"),
             "integer": False, "min": 0.5, "max": 2.5, "required": False},
            {"code": "age", "kind": "numeric", "section": "more", "label": _t("年龄"),
             "required": False, "constraint": ". >= 18 and . <= 120",
             "constraint_message": {"zh": "年龄须在18到120之间", "en": "Age must be 18 to 120"}},
        ],
    }  # fmt: skip
