"""The questionnaire model, the shipped default and the structural checks."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from survey.errors import QuestionnaireDefinitionError
from survey.questionnaire.model import (
    DEFAULT_PATH,
    LikertItem,
    Questionnaire,
    RatingItem,
    load_default,
    load_questionnaire,
)
from tests.conftest import skip_or_fail

# The team's design notes sit next to the repository (README: ``../shared/design/``).
DOMAIN = Path(__file__).resolve().parents[2].parent / "shared" / "design" / "DOMAIN.md"


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_default()


@pytest.fixture()
def raw() -> dict[str, Any]:
    return json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_default_shape(q: Questionnaire) -> None:
    assert (q.slug, q.version) == ("meihao", 1)
    assert [d.code for d in q.dimensions] == [f"D{n}" for n in range(1, 7)]
    assert q.subdimension_codes() == [f"D{n}{s}" for n in range(1, 7) for s in "abc"]
    main = q.main_items()
    assert [i.code for i in main] == [f"D{d}.{n}" for d in range(1, 7) for n in range(1, 7)]
    assert [i.code for i in main if i.reverse] == ["D2.5", "D4.2", "D6.3"]
    for sub in q.subdimension_codes():
        assert len(q.subdimension_items(sub)) == 2
    assert [i.code for i in q.outcome_items()] == ["O1", "O2", "O3"]
    assert all((i.low, i.high) == (1, 10) for i in q.outcome_items())
    r2 = q.item("R2")
    assert isinstance(r2, RatingItem) and (r2.low, r2.high, r2.outcome) == (0, 10, False)
    for code in ("R1", "R3", "R4"):
        item = q.item(code)
        assert isinstance(item, LikertItem) and item.subdimension is None
    p1 = q.priority_item()
    assert p1 is not None and p1.code == "P1" and p1.max_choices == 3
    assert [o.value for o in p1.options] == q.subdimension_codes()
    assert q.item("P2").required is False
    assert q.item("grid").required is False
    scale = q.scale("agree5")
    assert scale.na_code == 9 and scale.na_label is not None
    assert scale.na_label.zh == "不了解/不适用"
    assert [p.value for p in scale.points] == [5, 4, 3, 2, 1]


def test_default_sections_in_order(q: Questionnaire) -> None:
    codes = [s.code for s in q.sections]
    assert codes == ["intro", "D1", "D2", "D3", "D4", "D5", "D6", "overall", "about"]
    assert [i.code for i in q.items_in_section("intro")] == ["age_18_plus", "age_band"]
    assert [i.code for i in q.items_in_section("D3")] == [f"D3.{n}" for n in range(1, 7)]
    with pytest.raises(KeyError):
        q.items_in_section("nope")


def test_default_demographics(q: Questionnaire) -> None:
    def values(code: str) -> list[str]:
        item = q.item(code)
        return [o.value for o in item.options]  # type: ignore[union-attr]

    assert values("age_band") == ["18-29", "30-44", "45-59", "60-69", "70-plus"]
    assert values("gender") == ["male", "female"]
    assert values("tenure") == ["own", "rent", "dorm", "other"]
    assert len(values("housing_type")) == 6
    assert values("participation") == ["0", "1-2", "3-5", "6-plus"]
    for code in ("household_elderly", "household_children"):
        assert values(code) == ["yes", "no"]


def _every_text(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if "zh" in node:
            found.append(node)
        for value in node.values():
            found.extend(_every_text(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_every_text(value))
    return found


def test_shipped_data_is_bilingual_and_asks_nothing_identifying(raw: dict[str, Any]) -> None:
    texts = _every_text(raw)
    assert len(texts) > 150
    assert all(t.get("zh") and t.get("en") for t in texts)
    codes = {i["code"] for i in raw["items"]}
    assert not codes & {"name", "phone", "address", "mobile"}


def test_main_items_transcribe_domain_exactly(q: Questionnaire) -> None:
    if not DOMAIN.exists():
        skip_or_fail(f"design notes not present at {DOMAIN}")
    pattern = re.compile(r"^  - (D\d\.\d) (.+?) ?— (.+)$", re.MULTILINE)
    found = pattern.findall(DOMAIN.read_text(encoding="utf-8"))
    assert len(found) == 36
    for code, zh, en in found:
        item = q.item(code)
        assert isinstance(item, LikertItem)
        assert item.reverse == ("(反向)" in zh)
        assert item.label.zh == zh.replace("(反向)", "").rstrip()
        assert item.label.en == en.replace(" (reverse-keyed)", "")


def test_framework_dict(q: Questionnaire) -> None:
    fw = q.framework_dict()
    assert fw["name"] == "meihao" and fw["version"] == 1
    assert len(fw["items"]) == 36
    assert fw["items"][0] == {"code": "D1.1", "points": 5, "reverse": False}
    assert {i["code"] for i in fw["items"] if i["reverse"]} == {"D2.5", "D4.2", "D6.3"}
    assert fw["outcomes"] == [{"code": f"O{n}", "low": 1, "high": 10} for n in (1, 2, 3)]
    tree = fw["tree"]
    assert tree["code"] == "overall" and tree["label"] == {"zh": "总指数", "en": "Overall"}
    d1 = tree["children"][0]
    assert d1["code"] == "D1" and d1["label"]["zh"] == "党建引领"
    assert d1["children"][0] == {
        "code": "D1a",
        "label": {"zh": "组织引领", "en": "organisational leadership"},
        "children": [{"code": "D1.1"}, {"code": "D1.2"}],
    }
    leaves = [
        leaf["code"] for d in tree["children"] for s in d["children"] for leaf in s["children"]
    ]
    assert leaves == [i["code"] for i in fw["items"]]
    json.dumps(fw)  # plain data


def test_numeric_codes_and_option_index(q: Questionnaire) -> None:
    codes = q.numeric_codes()
    assert codes[:2] == ["age_18_plus", "age_band"]
    assert "P1" not in codes and "P2" not in codes and "grid" not in codes
    assert {"D1.1", "O1", "R2", "gender", "mode"} <= set(codes)
    assert len(codes) == len(set(codes))
    assert q.option_index("age_band", "18-29") == 1
    assert q.option_index("age_band", "70-plus") == 5
    for code in ("gender", "tenure", "P1"):
        item = q.item(code)
        for option in item.options:  # type: ignore[union-attr]
            assert q.option_value(code, q.option_index(code, option.value)) == option.value
    with pytest.raises(KeyError):
        q.option_index("gender", "other")
    with pytest.raises(KeyError):
        q.option_value("gender", 0)
    with pytest.raises(KeyError):
        q.option_value("gender", True)  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        q.option_index("D1.1", "x")
    with pytest.raises(KeyError):
        q.item("D9.9")


def test_json_round_trip_and_hash(q: Questionnaire, raw: dict[str, Any]) -> None:
    again = Questionnaire.model_validate(json.loads(q.to_json()))
    assert again == q
    assert again.definition_hash() == q.definition_hash()
    assert Questionnaire.model_validate(q.model_dump(mode="json")) == q
    assert Questionnaire.model_validate_json(q.to_json()) == q
    assert re.fullmatch(r"[0-9a-f]{64}", q.definition_hash())
    raw["items"][2]["label"]["zh"] += "!"
    assert Questionnaire.model_validate(raw).definition_hash() != q.definition_hash()


def test_hash_ignores_spelled_out_defaults(raw: dict[str, Any], q: Questionnaire) -> None:
    for item in raw["items"]:
        item.setdefault("required", True)
    assert Questionnaire.model_validate(raw).definition_hash() == q.definition_hash()


def test_load_default_is_cached() -> None:
    assert load_default() is load_default()


def test_load_questionnaire_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(QuestionnaireDefinitionError, match="cannot read"):
        load_questionnaire(bad)
    with pytest.raises(QuestionnaireDefinitionError, match="cannot read"):
        load_questionnaire(tmp_path / "missing.json")
    good = tmp_path / "good.json"
    good.write_text(load_default().to_json(), encoding="utf-8")
    assert load_questionnaire(good) == load_default()


def _item(raw: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for i in raw["items"] if i["code"] == code)


def _dup_code(r: dict[str, Any]) -> None:
    _item(r, "D1.2")["code"] = "D1.1"


def _no_subdim(r: dict[str, Any]) -> None:
    del _item(r, "D1.1")["subdimension"]


def _unknown_subdim(r: dict[str, Any]) -> None:
    _item(r, "D1.1")["subdimension"] = "D9z"


def _subdim_without_items(r: dict[str, Any]) -> None:
    r["dimensions"][0]["subdimensions"].append({"code": "D1d", "label": {"zh": "新"}})


def _wrong_dimension(r: dict[str, Any]) -> None:
    _item(r, "D1.1")["subdimension"] = "D2a"


def _unknown_scale(r: dict[str, Any]) -> None:
    _item(r, "D1.1")["scale"] = "agree7"


def _scale_without_points(r: dict[str, Any]) -> None:
    r["scales"][0]["points"] = []


def _scale_without_label(r: dict[str, Any]) -> None:
    del r["scales"][0]["points"][0]["label"]


def _scale_gap(r: dict[str, Any]) -> None:
    r["scales"][0]["points"][0]["value"] = 6


def _na_collides(r: dict[str, Any]) -> None:
    r["scales"][0]["na_code"] = 3


def _no_options(r: dict[str, Any]) -> None:
    _item(r, "gender")["options"] = []


def _dup_options(r: dict[str, Any]) -> None:
    _item(r, "gender")["options"][1]["value"] = "male"


def _bad_option_value(r: dict[str, Any]) -> None:
    _item(r, "gender")["options"][1]["value"] = "女"


def _relevant_unknown(r: dict[str, Any]) -> None:
    _item(r, "D1.1")["relevant"] = "${Z9} = 1"


def _relevant_later(r: dict[str, Any]) -> None:
    _item(r, "D1.1")["relevant"] = "${gender} = 'male'"


def _relevant_self(r: dict[str, Any]) -> None:
    _item(r, "D1.1")["relevant"] = "${D1.1} = 1"


def _relevant_syntax(r: dict[str, Any]) -> None:
    _item(r, "D1.2")["relevant"] = "${D1.1} >"


def _relevant_current(r: dict[str, Any]) -> None:
    _item(r, "D1.2")["relevant"] = ". > 1"


def _p1_not_subdim(r: dict[str, Any]) -> None:
    _item(r, "P1")["options"][0]["value"] = "parking"


def _max_choices_too_many(r: dict[str, Any]) -> None:
    _item(r, "P1")["max_choices"] = 40


def _unknown_kind(r: dict[str, Any]) -> None:
    _item(r, "gender")["kind"] = "dropdown"


def _extra_field(r: dict[str, Any]) -> None:
    _item(r, "gender")["colour"] = "red"


def _unknown_section(r: dict[str, Any]) -> None:
    _item(r, "gender")["section"] = "nowhere"


def _sections_out_of_order(r: dict[str, Any]) -> None:
    r["sections"][1], r["sections"][2] = r["sections"][2], r["sections"][1]


def _section_split(r: dict[str, Any]) -> None:
    _item(r, "age_band")["section"] = "about"


def _empty_section(r: dict[str, Any]) -> None:
    r["sections"].append({"code": "extra", "title": {"zh": "空"}})


def _other_item_on_dimension_page(r: dict[str, Any]) -> None:
    _item(r, "D1.1")["kind"] = "rating"


def _rating_bounds(r: dict[str, Any]) -> None:
    _item(r, "O1")["low"] = 10


def _bad_code(r: dict[str, Any]) -> None:
    _item(r, "gender")["code"] = "性别"


def _missing_zh(r: dict[str, Any]) -> None:
    _item(r, "gender")["label"] = {"en": "Gender"}


def _message_without_constraint(r: dict[str, Any]) -> None:
    del _item(r, "age_18_plus")["constraint"]


CASES: list[tuple[Callable[[dict[str, Any]], None], str]] = [
    (_dup_code, "duplicate item code"),
    (_no_subdim, "need a sub-dimension"),
    (_unknown_subdim, "unknown sub-dimension 'D9z'"),
    (_subdim_without_items, "sub-dimension.*without items: D1d"),
    (_wrong_dimension, "not part of dimension D1"),
    (_unknown_scale, "unknown scale 'agree7'"),
    (_scale_without_points, "at least two labelled points"),
    (_scale_without_label, r"scales\.0\.points\.0\.label"),
    (_scale_gap, "must be 1..5"),
    (_na_collides, "also a scale point"),
    (_no_options, "needs options"),
    (_dup_options, "duplicate option value"),
    (_bad_option_value, "items.*value"),
    (_relevant_unknown, "unknown item 'Z9'"),
    (_relevant_later, "not asked before"),
    (_relevant_self, "use '.'"),
    (_relevant_syntax, "expected a value.*position 9"),
    (_relevant_current, "only allowed in constraints"),
    (_p1_not_subdim, "sub-dimension codes, not parking"),
    (_max_choices_too_many, "max_choices exceeds"),
    (_unknown_kind, "dropdown"),
    (_extra_field, "colour"),
    (_unknown_section, "unknown section 'nowhere'"),
    (_sections_out_of_order, "order of their sections"),
    (_section_split, "contiguous"),
    (_empty_section, "without items: extra"),
    (_other_item_on_dimension_page, "Field required|need a sub-dimension"),
    (_rating_bounds, "must be below high"),
    (_bad_code, "pattern"),
    (_missing_zh, "zh"),
    (_message_without_constraint, "constraint_message without a constraint"),
]


@pytest.mark.parametrize(("mutate", "message"), CASES, ids=[c[0].__name__ for c in CASES])
def test_definition_errors(
    raw: dict[str, Any], mutate: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = copy.deepcopy(raw)
    mutate(data)
    with pytest.raises(QuestionnaireDefinitionError, match=message):
        Questionnaire.model_validate(data)


def test_questionnaire_is_immutable(q: Questionnaire) -> None:
    with pytest.raises(Exception, match="frozen"):
        q.version = 2  # type: ignore[misc]


def test_local_text_fallback(q: Questionnaire) -> None:
    label = q.item("D1.1").label
    assert label.get("zh").startswith("社区党组织")
    assert label.get("en").startswith("The community")
    assert type(label)(zh="只有中文").get("en") == "只有中文"
