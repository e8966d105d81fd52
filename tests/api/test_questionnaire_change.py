"""Changes across questionnaire versions: bridged over the unchanged dimensions or refused,
never computed silently (api/services/framework_fingerprint.py, change_rule.py)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.services.framework_fingerprint import changed_items, fingerprint_of
from survey.questionnaire.model import Questionnaire, load_default
from tests.api.test_scorecard import OK_COMMUNITY, get, snapshot, store
from tests.support.officials_district import LAST, WAVES, sign_in


def edited(change: Any) -> Questionnaire:
    data = load_default().model_dump(mode="json")
    change(data)
    return Questionnaire.model_validate(data)


def item(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for i in data["items"] if i["code"] == code)


def test_the_fingerprint_names_reworded_dropped_and_rekeyed_items() -> None:
    base = fingerprint_of(load_default())
    assert changed_items(base, fingerprint_of(load_default())) == {}
    assert changed_items(None, base) is None and changed_items(base, {}) is None

    def reword(d: dict[str, Any]) -> None:
        item(d, "D3.2")["label"]["zh"] += "(新措辞)"

    def drop(d: dict[str, Any]) -> None:
        d["items"] = [i for i in d["items"] if i["code"] != "D4.1"]

    def rekey(d: dict[str, Any]) -> None:
        item(d, "D1.1")["reverse"] = True

    assert changed_items(base, fingerprint_of(edited(reword))) == {"D3.2": "D3"}
    assert changed_items(base, fingerprint_of(edited(drop))) == {"D4.1": "D4"}
    assert changed_items(base, fingerprint_of(edited(rekey))) == {"D1.1": "D1"}
    # a wording change outside the index (a demographic question) does not matter
    other = edited(lambda d: item(d, "age_band")["label"].update(zh="年龄段(改)"))
    assert changed_items(base, fingerprint_of(other)) == {}


def test_snapshots_store_their_fingerprint(officials_client: TestClient) -> None:
    admin = sign_in(officials_client, "admin")
    stored = snapshot(admin, LAST)["framework_fingerprint"]
    assert stored == fingerprint_of(load_default())


def rewritten_last_wave(admin: TestClient, codes: list[str]) -> dict[str, Any]:
    """Store a newer snapshot of the last wave whose questionnaire changed ``codes``."""
    results = copy.deepcopy(snapshot(admin, LAST))
    for code in codes:
        results["framework_fingerprint"]["items"][code]["signature"] = "0" * 16
    results["framework_fingerprint"]["fingerprint"] = "changed"
    store(admin, LAST, results)
    return results


def test_a_reworded_item_refuses_its_dimension_and_bridges_the_index(
    officials_client: TestClient,
) -> None:
    admin = sign_in(officials_client, "admin")
    before = snapshot(admin, WAVES[-2])
    after = rewritten_last_wave(admin, ["D3.2"])
    sc = get(admin, f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard")
    by_dim = {d["code"]: d["change"] for d in sc["dimensions"]}
    assert by_dim["D3"]["label"] == "undetermined"
    assert by_dim["D3"]["reason"] == "not_comparable"
    assert by_dim["D3"]["note_code"] == "questionnaire_changed"
    assert "D3.2" in by_dim["D3"]["note"]["zh"]
    for code, change in by_dim.items():
        if code != "D3":  # unchanged items: compared as usual, marked as across versions
            assert change["bridged"] and change["label"] != "undetermined"

    # the index is bridged: the later wave's dimension weights over D1, D2, D4–D6
    keep = [d for d in after["codes"]["dimensions"] if d != "D3"]
    w = np.array([after["dimension_weights"][d] for d in keep])
    a = w / w.sum()

    def bridged(results: dict[str, Any]) -> tuple[float, float]:
        row = next(r for r in results["communities"] if r["code"] == OK_COMMUNITY)
        score = float(a @ [row["dimensions"][d]["score"] for d in keep])
        se = float(a @ [row["dimensions"][d]["se"] for d in keep])  # perfectly correlated bound
        return score, se

    (s1, e1), (s2, e2) = bridged(before), bridged(after)
    change = sc["change"]
    assert change["bridged"] and change["note_code"] == "bridged" and "D3" in change["note"]["zh"]
    assert change["delta"] == pytest.approx(s2 - s1, abs=1e-9)
    assert change["se"] == pytest.approx(float(np.hypot(e1, e2)), abs=1e-9)
    raw = [next(r for r in x["communities"] if r["code"] == OK_COMMUNITY) for x in (before, after)]
    assert abs(change["delta"] - (raw[1]["index"] - raw[0]["index"])) > 1e-6  # not the raw Δ
    trend = get(admin, "/api/v1/district/trend")
    row = next(r for r in trend["communities"] if r["code"] == OK_COMMUNITY)
    assert row["last_change"] == change  # the trend report says the same
    page = admin.get(f"/waves/{LAST}/communities/{OK_COMMUNITY}?lang=zh").text
    assert "问卷题目有改动，不可比较（D3.2）" in page and "仅按未改动的维度桥接比较" in page


def test_items_changed_in_every_dimension_refuse_the_index(officials_client: TestClient) -> None:
    admin = sign_in(officials_client, "admin")
    rewritten_last_wave(admin, ["D1.1", "D2.1", "D3.1", "D4.1", "D5.1", "D6.1"])
    sc = get(admin, f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard")
    change = sc["change"]
    assert change["label"] == "undetermined" and change["reason"] == "not_comparable"
    assert change["q"] is None and "D6.1" in change["note"]["zh"]
    assert all(d["change"]["label"] == "undetermined" for d in sc["dimensions"])
    summary = get(admin, f"/api/v1/waves/{LAST}/summary")["changes"]
    assert summary["rises"] == [] and summary["falls"] == []
