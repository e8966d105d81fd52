import copy

import numpy as np
import pytest

from scoring.errors import ScoringError
from scoring.framework import Framework, default_framework_dict


def test_default_tree_arrays():
    fw = Framework.from_dict(default_framework_dict())
    assert fw.n_items == 36
    assert fw.dimension_codes == ("D1", "D2", "D3", "D4", "D5", "D6")
    assert len(fw.subdimension_codes) == 18
    assert fw.sub_of_item[:4].tolist() == [0, 0, 1, 1]
    assert fw.dim_of_sub.tolist() == np.repeat(np.arange(6), 3).tolist()
    assert fw.dim_of_item[-1] == 5
    assert [c for c, r in zip(fw.item_codes, fw.reverse, strict=True) if r] == [
        "D2.5",
        "D4.2",
        "D6.3",
    ]
    assert fw.outcome_codes == ("O1", "O2", "O3")
    assert fw.children("D3") == ("D3a", "D3b", "D3c")
    assert fw.children("D3a") == ("D3.1", "D3.2")


def test_round_trip_without_source():
    fw = Framework.from_dict(default_framework_dict())
    rebuilt = Framework.from_dict(
        Framework(**{**fw.__dict__, "source": {}}).to_dict()  # type: ignore[arg-type]
    )
    assert rebuilt.item_codes == fw.item_codes
    assert rebuilt.sub_of_item.tolist() == fw.sub_of_item.tolist()


def _broken(mutate):
    d = copy.deepcopy(default_framework_dict())
    mutate(d)
    return d


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["items"].append({"code": "D1.1", "points": 5}), "duplicate item code 'D1.1'"),
        (lambda d: d["items"].append({"code": "X.9", "points": 5}), "missing from the tree: X.9"),
        (
            lambda d: d["tree"]["children"][0]["children"][0]["children"].append({"code": "Z.1"}),
            "'Z.1' is not a declared item",
        ),
        (
            lambda d: d["tree"]["children"][1]["children"][0]["children"].append({"code": "D1.1"}),
            "duplicate code 'D1.1'",
        ),
        (lambda d: d["items"][0].update(points=1), "item 'D1.1': points"),
        (lambda d: d["tree"]["children"][0].update(children=[]), "'D1' has no sub-dimensions"),
        (lambda d: d["outcomes"][0].update(high=0), "outcome 'O1'"),
    ],
)
def test_validation_names_the_code(mutate, message):
    with pytest.raises(ScoringError, match=message.replace("(", r"\(")):
        Framework.from_dict(_broken(mutate))


def test_item_must_be_leaf():
    d = default_framework_dict()
    d["tree"]["children"][0]["children"][0]["children"][0]["children"] = [{"code": "deep"}]
    with pytest.raises(ScoringError, match="must be a leaf"):
        Framework.from_dict(d)
