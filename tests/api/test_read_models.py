"""The typed read model of a snapshot and the message catalog: codes in, words out.

A snapshot stored before the reason codes holds the Chinese text; it must read exactly as a
snapshot holding the codes (same JSON, pages and exports), and recompute as identical.
"""

from __future__ import annotations

import copy
import csv
import io
import re
from datetime import datetime
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.services.read_models import SnapshotFormatError, SnapshotRef, parse_results
from api.services.reproduce import with_note_codes
from api.web.messages import CATALOG, Message, label, note_code, text
from scoring.rank import Note
from scoring.result import WaveResult
from tests.support.staff import DEFAULT_COMMUNITIES, bearer, seed_staff, snapshot_results
from tests.support.staff import store_snapshot as store

REF = SnapshotRef(1, "W1", "equal", 1, "0" * 64, datetime(2026, 5, 1))


def legacy(results: dict[str, Any]) -> dict[str, Any]:
    """``results`` as the engine stored them before codes: Chinese reasons and notes."""
    old = copy.deepcopy(results)
    for row in old["communities"]:
        if row["suppression_reason"] is not None:
            row["suppression_reason"] = "样本不足"
        if row["code"] == "C3":
            row["note"] = "样本较少,仅供参考"
    return old


def with_small_sample_note(results: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(results)
    next(r for r in new["communities"] if r["code"] == "C3")["note"] = Note.SMALL_SAMPLE.value
    return new


def test_catalog_words_every_code_in_both_languages() -> None:
    for code in [*Note, *Message]:
        zh, en = CATALOG[code]
        assert zh and en and zh != en
        assert text(code) == zh and text(code, "en") == en
        assert label(code) == {"zh": zh, "en": en}
    assert text(Note.INSUFFICIENT_SAMPLE, "en") == "insufficient sample"
    assert text(None) is None and text("unheard_of") == "unheard_of"


def test_old_wordings_map_to_their_codes() -> None:
    for note in Note:
        zh, en = CATALOG[note]
        assert note_code(zh) is note and note_code(en) is note and note_code(note.value) is note
    assert note_code(None) is None and note_code("") is None
    assert note_code("某种旧说法") is None
    assert note_code("某种旧说法", Note.INSUFFICIENT_SAMPLE) is Note.INSUFFICIENT_SAMPLE


def test_parsing_keeps_codes_and_no_figure_of_a_suppressed_row() -> None:
    results = with_small_sample_note(snapshot_results(DEFAULT_COMMUNITIES))
    planted = next(r for r in results["communities"] if r["code"] == "C2")
    planted.update(index=55.5, rank=1, grade="中")  # a leak the engine would never write
    planted["items"]["D1.1"]["score"] = 55.5
    for raw in (results, legacy(results)):
        view = parse_results(REF, raw)
        c2, c3 = view.rows["C2"], view.rows["C3"]
        assert c2.suppressed and c2.reason is Note.INSUFFICIENT_SAMPLE and c2.n == 12
        assert (c2.index, c2.rank, c2.grade, c2.items, c2.dimensions) == (None, None, None, {}, {})
        assert c3.published and c3.note is Note.SMALL_SAMPLE and c3.reason is None
        assert c3.dimension("D1").score == pytest.approx(74.06 - 2.5)
        assert c3.items["D2.5"].pct_positive == 71.25
        assert [r.code for r in view.published_rows()] == ["C1", "C3"]
        assert view.meta["C3"].street == "S2" and view.streets()["C2"] == "S1"


def test_a_field_renamed_in_to_dict_fails_at_parse_time_not_on_a_page() -> None:
    results = snapshot_results(DEFAULT_COMMUNITIES)
    row = next(r for r in results["communities"] if r["code"] == "C1")
    row["ci_lo"] = row.pop("ci_low")
    with pytest.raises(SnapshotFormatError, match="'C1' has no field 'ci_low'"):
        parse_results(REF, results)


def test_the_engine_result_rebuilt_from_the_read_model_equals_from_dict() -> None:
    results = snapshot_results(DEFAULT_COMMUNITIES)
    rebuilt = parse_results(REF, results).to_wave_result()
    stored = WaveResult.from_dict(results)
    for name in ("index", "se", "ci_low", "ci_high", "rank", "dim_score", "item_score", "osi"):
        np.testing.assert_array_equal(getattr(rebuilt, name), getattr(stored, name), name)
    np.testing.assert_array_equal(rebuilt.suppressed, stored.suppressed)
    np.testing.assert_array_equal(rebuilt.n, stored.n)
    assert rebuilt.community_codes == stored.community_codes
    assert rebuilt.suppression_reason == stored.suppression_reason
    assert rebuilt.model_key == stored.model_key


def test_a_recomputed_old_snapshot_compares_as_codes() -> None:
    results = with_small_sample_note(snapshot_results(DEFAULT_COMMUNITIES))
    assert with_note_codes(legacy(results)) == results


def _reads(client: TestClient, engine: Engine) -> dict[str, Any]:
    """Everything a reader sees of C2 (suppressed) and C3 (small sample)."""
    headers = bearer(engine, "admin")
    rankings = client.get("/api/v1/waves/W1/rankings", headers=headers).json()
    rows = {r["community"]: r for r in rankings["communities"]}
    cards = {
        c: client.get(f"/api/v1/waves/W1/communities/{c}/scorecard", headers=headers).json()
        for c in ("C2", "C3")
    }
    export = client.get("/api/v1/waves/W1/exports/scorecards.csv", headers=headers)
    notes = {
        (r["社区代码 community code"], r["代码 code"]): r["备注 note"]
        for r in csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")))
        if r["代码 code"] == "overall"
    }
    return {
        "rows": {
            c: {k: v for k, v in r.items() if "reason" in k or "note" in k} for c, r in rows.items()
        },
        "cards": {
            c: (
                sc["suppression_reason"],
                sc["suppression_reason_code"],
                sc["note"],
                sc["note_code"],
                sc["trend"][-1]["note"],
                sc["trend"][-1]["note_code"],
            )
            for c, sc in cards.items()
        },
        "export": notes,
        "dashboard_en": "insufficient sample"
        in client.get("/waves/W1?lang=en", headers=headers).text,
    }


def test_an_old_snapshot_reads_exactly_as_one_with_codes(client: TestClient) -> None:
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    seed_staff(engine)
    results = with_small_sample_note(snapshot_results(DEFAULT_COMMUNITIES))
    store(engine, legacy(results))
    old = _reads(client, engine)
    store(engine, results)  # newer: now the wave's snapshot
    new = _reads(client, engine)
    assert old == new
    assert new["rows"]["C2"]["suppression_reason"] == "样本不足"
    assert new["rows"]["C2"]["suppression_reason_code"] == "insufficient_sample"
    assert new["cards"]["C2"] == (
        "样本不足",
        "insufficient_sample",
        None,
        None,
        {"zh": "样本不足", "en": "insufficient sample"},
        "insufficient_sample",
    )
    assert new["cards"]["C3"][2:4] == ("样本较少，仅供参考", "small_sample")
    assert new["export"][("C2", "overall")] == "样本不足"
    assert new["export"][("C3", "overall")] == "样本较少，仅供参考"
    assert new["dashboard_en"]


def test_charts_draw_the_grade_bands_of_the_snapshots_model(client: TestClient) -> None:
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    seed_staff(engine)
    results = snapshot_results(DEFAULT_COMMUNITIES)
    results["provenance"]["model_definition"] = {"grade_bands": [["甲", 70.0], ["乙", None]]}
    store(engine, results)
    headers = bearer(engine, "admin")
    sc = client.get("/api/v1/waves/W1/communities/C1/scorecard", headers=headers).json()
    assert sc["grade_bands"] == [["甲", 70.0], ["乙", None]]
    for url in ("/waves/W1/communities/C1", "/waves/W1", "/waves/W1/streets/S1"):
        page = client.get(url, headers=headers).text
        edges = re.findall(r'stroke-dasharray="4 3"/><text [^>]*>([^<]*)</text>', page)
        assert edges and set(edges) == {"甲"}, url  # not the default 60/80/90 table
    default = snapshot_results(DEFAULT_COMMUNITIES)
    store(engine, default)  # no bands in the model definition: the engine's default bands
    sc = client.get("/waves/W1/communities/C1", headers=headers).text
    assert set(re.findall(r'stroke-dasharray="4 3"/><text [^>]*>([^<]*)</text>', sc)) == {
        "中",
        "良",
        "优",
    }
