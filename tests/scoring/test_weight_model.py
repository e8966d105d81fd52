import json

import numpy as np
import pytest

from scoring.errors import InconsistentJudgementsError, WeightModelError
from scoring.framework import Framework, default_framework_dict
from scoring.weight_model import WeightModel, builtin_model
from scoring.weighting import critic_weights, entropy_weights

FW = Framework.from_dict(default_framework_dict())


def test_expert_v0_matches_domain_numbers():
    model = builtin_model("expert-v0")
    model.validate(FW)
    w, info = model.resolve_dimension_weights(FW)
    assert np.round(w, 3).tolist() == [0.130, 0.206, 0.206, 0.130, 0.164, 0.164]
    assert info["lambda_max"] == pytest.approx(6.1072, abs=1e-4)
    assert info["cr"] == pytest.approx(0.0173, abs=1e-4)
    assert info["ri_table"] == "saaty"


def test_equal_model():
    w, info = builtin_model("equal").resolve_dimension_weights(FW)
    assert np.allclose(w, 1 / 6)
    assert info == {"method": "equal"}
    with pytest.raises(WeightModelError, match="no built-in"):
        builtin_model("nope")


def test_json_round_trip():
    model = WeightModel(
        name="mix",
        version="3",
        preset="cn_gov",
        dimension_weights={
            "method": "combined",
            "subjective": {"method": "equal"},
            "objective": {"method": "entropy"},
            "alpha": 0.3,
        },
        aggregation={"dimension": "geometric", "D2": "arithmetic"},
        grade_bands=[["A", 85.0], ["B", None]],
    )
    back = WeightModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert back == model
    assert back.is_data_driven
    with pytest.raises(WeightModelError, match="unknown weight model field"):
        WeightModel.from_dict({**model.to_dict(), "typo": 1})


def test_version_is_an_integer_and_old_string_versions_are_read_as_numbers():
    assert WeightModel(name="v").version == 1
    old = WeightModel.from_dict({"name": "v", "version": "7"})
    assert old.version == 7 and old.to_dict()["version"] == 7 and old.key == "v@7"
    assert json.loads(json.dumps(old.to_dict()))["version"] == 7
    assert builtin_model("expert-v0").version == 0
    assert old.freeze({c: 1.0 for c in FW.dimension_codes}, version="8").version == 8
    for bad in ("1-frozen", "", 1.5, True, None):
        with pytest.raises(WeightModelError, match="version must be a whole number"):
            WeightModel.from_dict({"name": "v", "version": bad})


def _fixed(**over):
    w = {c: 1.0 for c in FW.dimension_codes}
    w.update(over)
    return w


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (WeightModel(name="x", dimension_weights=_fixed(D1=-1.0)), "negative.*D1"),
        (WeightModel(name="x", dimension_weights={"D1": 1.0}), "missing for: D2"),
        (WeightModel(name="x", dimension_weights=_fixed(D9=1.0)), "unknown dimension code.*D9"),
        (
            WeightModel(name="x", dimension_weights={c: 0.0 for c in FW.dimension_codes}),
            "sum to zero",
        ),
        (WeightModel(name="x", preset="zscore"), "preset"),
        (WeightModel(name="x", aggregation={"dimension": "harmonic"}), "harmonic"),
        (WeightModel(name="x", aggregation={"D9": "geometric"}), "D9"),
        (WeightModel(name="x", subdimension_weights={"D1a": 1.0}), "missing for: D1b"),
        (
            WeightModel(
                name="x",
                subdimension_weights={
                    s: 0.0 if s.startswith("D3") else 1.0 for s in FW.subdimension_codes
                },
            ),
            "sum to zero under: D3",
        ),
        (
            WeightModel(
                name="x", dimension_weights={"method": "ahp", "matrix": [[1, 2], [0.5, 1]]}
            ),
            "6×6",
        ),
        (WeightModel(name="x", dimension_weights={"method": "magic"}), "magic"),
        (WeightModel(name="x", min_n=200), "min_n"),
        (WeightModel(name="x", grade_bands=[["A", 60.0], ["B", 80.0], ["C", None]]), "grade"),
    ],
)
def test_validate_says_what_is_wrong(model, message):
    with pytest.raises(WeightModelError, match=message):
        model.validate(FW)


def test_inconsistent_ahp_names_the_judgement():
    A = np.ones((6, 6))
    A[0, 1], A[1, 0] = 9.0, 1 / 9
    A[1, 2], A[2, 1] = 9.0, 1 / 9
    A[0, 2], A[2, 0] = 1 / 9, 9.0
    model = WeightModel(name="bad", dimension_weights={"method": "ahp", "matrix": A.tolist()})
    with pytest.raises(InconsistentJudgementsError, match=r"D[123]") as err:
        model.validate(FW)
    assert isinstance(err.value, WeightModelError)
    ok = WeightModel(
        name="ok",
        dimension_weights={"method": "ahp", "matrix": A.tolist(), "accept_inconsistent": True},
    )
    ok.validate(FW)


def test_data_driven_resolution_and_freeze():
    rng = np.random.default_rng(3)
    X = rng.uniform(40, 90, size=(30, 6))
    for method, fn in (("entropy", entropy_weights), ("critic", critic_weights)):
        model = WeightModel(name=method, dimension_weights={"method": method})
        w, info = model.resolve_dimension_weights(FW, X)
        assert np.allclose(w, fn(X))
        assert info["n_communities"] == 30
        frozen = model.freeze(w, FW, version=2)
        assert not frozen.is_data_driven
        assert frozen.frozen_from == {"method": method}
        assert np.allclose(frozen.resolve_dimension_weights(FW)[0], w)
    with pytest.raises(WeightModelError, match="needs the community-level matrix"):
        WeightModel(name="e", dimension_weights={"method": "entropy"}).resolve_dimension_weights(FW)
    X[0, 0] = np.nan  # incomplete rows are dropped
    w, info = WeightModel(
        name="e", dimension_weights={"method": "entropy"}
    ).resolve_dimension_weights(FW, X)
    assert info["n_communities"] == 29 and np.allclose(w, entropy_weights(X[1:]))


def test_combined_linear():
    model = WeightModel(
        name="c",
        dimension_weights={
            "method": "combined",
            "alpha": 0.5,
            "subjective": {
                "method": "fixed",
                "weights": {c: float(i + 1) for i, c in enumerate(FW.dimension_codes)},
            },
            "objective": {"method": "equal"},
        },
    )
    w, _ = model.resolve_dimension_weights(FW)
    assert np.allclose(w, 0.5 * np.arange(1, 7) / 21 + 0.5 / 6)


def test_grades_and_tree_spec():
    model = WeightModel(
        name="g",
        aggregation={"subdimension": "geometric", "D2": "geometric"},
        item_weights={c: 2.0 if c == "D1.1" else 1.0 for c in FW.item_codes},
    )
    assert model.grades(np.array([90.0, 80.0, 79.99, 0.0])).tolist() == ["优", "良", "中", "差"]
    spec = model.tree_spec(FW, np.full(6, 1 / 6))
    assert spec.geo_sub.all() and spec.geo_dim.tolist() == [False, True, False, False, False, False]
    assert spec.item_w[0] == 2.0 and spec.item_w[1] == 1.0


def test_estimator_field_defaults_to_direct_round_trips_and_is_checked():
    fw = Framework.from_dict(default_framework_dict())
    old = {k: v for k, v in builtin_model("equal").to_dict().items() if k != "estimator"}
    assert WeightModel.from_dict(old).estimator == "direct"  # stored before the field
    fh = WeightModel(name="fh", estimator="fay_herriot")
    assert WeightModel.from_dict(json.loads(json.dumps(fh.to_dict()))).estimator == "fay_herriot"
    fh.validate(fw)
    with pytest.raises(WeightModelError, match="estimator: 'eblup'"):
        WeightModel(name="bad", estimator="eblup").validate(fw)
