"""The same wave from the database and from each export format gives the same arrays."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.exports.responses import variable_name as export_variable_name
from api.services.bridge import dont_know_rates, score, to_survey_data
from api.services.snapshot_store import clear_cache as clear_snapshot_cache
from api.settings import Settings
from survey.formats.research_files import ExportFormatError, read_export, variable_name
from survey.questionnaire.model import load_default
from survey.research import ResearchData, differing_fields, load_research_data, wave_codes
from tests.support.research import LATEST, WAVES, seeded_database, token_for


class Setup:
    def __init__(self, client: TestClient, url: str, folder: Path) -> None:
        self.client, self.url, self.folder = client, url, folder
        self.headers = {"Authorization": f"Bearer {token_for(url, 'researcher')}"}

    def export(self, fmt: str, wave: str = LATEST) -> Path:
        response = self.client.get(
            f"/api/v1/waves/{wave}/exports/responses.{fmt}", headers=self.headers
        )
        assert response.status_code == 200, response.text
        path = self.folder / f"{wave}.{fmt}"
        path.write_bytes(response.content)
        return path

    def reference(self, wave: str = LATEST) -> dict[str, object]:
        return dict(self.client.get(f"/api/v1/waves/{wave}/reference", headers=self.headers).json())


@pytest.fixture
def setup(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[Setup]:
    url = seeded_database(tmp_path_factory)
    settings = Settings(database_url=url, secret_key="test-secret", bootstrap_replicates=20)
    # Parsed snapshots are cached per process by id; ids repeat across test databases.
    clear_snapshot_cache()
    with TestClient(create_app(settings)) as client:
        yield Setup(client, url, tmp_path)
    clear_snapshot_cache()


def as_exported(data: ResearchData) -> ResearchData:
    # Exports round durations to whole seconds (de-identification), nothing else.
    out = data.canonical()
    out.durations = np.round(out.durations)
    return out


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav"])
def test_an_export_reads_back_to_the_database_arrays(setup: Setup, fmt: str) -> None:
    from_db = load_research_data(setup.url, LATEST)
    from_file = read_export(setup.export(fmt), reference=setup.reference())
    assert from_file.n == from_db.n > 0
    assert differing_fields(as_exported(from_db), from_file.canonical()) == []
    # Not vacuous: the wave has don't-know answers, missing cells and priorities to compare.
    assert from_db.dont_know.any() and np.isnan(from_db.X).any() and from_db.priorities.any()
    a = score(as_exported(from_db), "expert-v0", bootstrap=0)
    b = score(from_file.canonical(), "expert-v0", bootstrap=0)
    np.testing.assert_array_equal(a.index, b.index)


def test_without_the_reference_a_file_still_gives_the_answers(setup: Setup) -> None:
    from_db = as_exported(load_research_data(setup.url, LATEST))
    bare = read_export(setup.export("csv")).canonical()
    assert bare.community_names == bare.community_codes  # names are not in the export
    assert not bare.margins.any()
    assert differing_fields(from_db, bare) == [
        "community_names",
        "street_names",
        "housing_types",
        "margins",
    ]
    assert dont_know_rates(bare) == dont_know_rates(from_db)
    assert to_survey_data(bare).margins is not None  # zero margins: raking is a no-op


def test_the_loader_names_columns_as_the_export_does() -> None:
    codes = [i.code for i in load_default().items] + ["P1_D1a", "9x", "a-b.c.", "中文"]
    assert [variable_name(c) for c in codes] == [export_variable_name(c) for c in codes]


def test_database_loader_defaults_and_frame(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    assert wave_codes(setup.url) == list(WAVES)
    monkeypatch.setenv("MEIHAO_DATABASE_URL", setup.url)
    data = load_research_data()  # the latest wave of MEIHAO_DATABASE_URL
    assert data.wave == LATEST and data.m == 12
    frame = data.to_frame()
    assert len(frame) == data.n
    assert {"community", "community_name", "stratum", "D1.1", "D1.1_dk", "P1_D1a"} <= set(
        frame.columns
    )
    assert frame["community_name"].iloc[0] in data.community_names


def test_bad_files_are_refused_with_a_reason(tmp_path: Path) -> None:
    wrong = tmp_path / "x.json"
    wrong.write_text("{}")
    with pytest.raises(ExportFormatError, match="csv"):
        read_export(wrong)
    no_community = tmp_path / "a.csv"
    no_community.write_text("wave,D1.1\n2026Q2,4\n")
    with pytest.raises(ExportFormatError, match="community"):
        read_export(no_community)
    words = tmp_path / "c.csv"
    words.write_text("wave,community,D1.1\n2026Q2,C1,four\n")
    with pytest.raises(ExportFormatError, match=r"'D1\.1' should hold numbers"):
        read_export(words)
    mixed = tmp_path / "b.csv"
    mixed.write_text("wave,community\n2026Q1,C1\n2026Q2,C1\n")
    with pytest.raises(ExportFormatError, match="mixes waves"):
        read_export(mixed)


def test_reference_and_wave_list_roles(setup: Setup) -> None:
    official = {"Authorization": f"Bearer {token_for(setup.url, 'official')}"}
    assert (
        setup.client.get(f"/api/v1/waves/{LATEST}/reference", headers=official).status_code == 403
    )
    assert setup.client.get("/api/v1/waves").status_code == 401
    waves = setup.client.get("/api/v1/waves", headers=official).json()
    assert [w["code"] for w in waves] == list(WAVES)
    assert all(w["responses"] > 0 and w["questionnaire"] == "meihao@1" for w in waves)


def test_the_survey_loaders_import_neither_scoring_nor_the_web() -> None:
    code = (
        "import sys, survey.research, survey.formats.research_files; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'api', 'scoring', 'fastapi', 'starlette'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
