"""Write a synthetic district into the database in bulk (``meihao seed``, ``meihao demo``).

Rows go in with executemany in chunks, not one ORM object per response: the demo's 45,000
responses load in seconds and the city's 900,000 in minutes, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import select

from survey.district_register import import_district
from survey.errors import ImportFileError
from survey.formats.district_file import (
    CommunityEntry,
    margin_labels,
    read_district_file,
    write_district_file,
)
from survey.questionnaire.model import Questionnaire, load_default
from survey.storage.db import session_scope
from survey.storage.encoding import DTYPE, NO_ANSWER, numeric_layout
from survey.storage.models import Community, Response, Wave
from survey.storage.registry import store_questionnaire
from survey.storage.responses import payload_hash
from survey.storage.waves import create_wave, mark_opened, open_wave

__all__ = ["SeedReport", "margin_labels", "register_district", "seed_database", "write_csv"]

CHUNK = 5_000


@dataclass(frozen=True)
class SeedReport:
    streets: int
    communities: int
    waves: int
    responses: int

    def __str__(self) -> str:
        return (
            f"{self.streets} streets, {self.communities} communities, {self.waves} waves, "
            f"{self.responses} responses"
        )


def packed_vectors(questionnaire: Questionnaire, wave: Any) -> np.ndarray:
    """The generator's columns rearranged into the storage layout (survey/encoding.py)."""
    slots = numeric_layout(questionnaire)
    column = {code: j for j, code in enumerate(wave.codes)}
    priority = questionnaire.priority_item()
    priority_options = [o.value for o in priority.options] if priority else []
    out = np.full((wave.numeric.shape[0], len(slots)), NO_ANSWER, dtype=DTYPE)
    for position, slot in enumerate(slots):
        if slot.kind == "multi_choice" and priority and slot.code == priority.code:
            out[:, position] = wave.priorities[:, priority_options.index(str(slot.option))]
        elif slot.code in column:
            out[:, position] = wave.numeric[:, column[slot.code]]
    return out


def district_entries(district: Any, questionnaire: Questionnaire) -> list[CommunityEntry]:
    """The synthetic district as rows of the district register file."""
    labels = margin_labels(questionnaire)
    streets = {s.code: s.name for s in district.streets}
    return [
        CommunityEntry(
            row=k + 2,
            street_code=c.street_code,
            street_name=streets[c.street_code],
            code=c.code,
            name=c.name,
            housing_type=c.housing_type_zh,
            population=int(c.population),
            margins={label: float(v) for label, v in zip(labels, c.margins, strict=True)},
        )
        for k, c in enumerate(district.communities)
    ]


def register_district(
    engine: Engine,
    district: Any,
    *,
    questionnaire: Questionnaire | None = None,
    close_all_but_last: bool = True,
) -> tuple[list[Wave], list[int]]:
    """Streets, communities, the questionnaire and the waves of ``district``, without responses
    (what a paper import or a benchmark needs first); returns the waves and community ids.

    The same path as a real district: the register goes through a district file and
    ``meihao district import``'s code, the waves through ``meihao wave create`` / ``open``.
    """
    questionnaire = questionnaire or load_default()
    with tempfile.TemporaryDirectory() as folder:
        path = write_district_file(
            Path(folder) / "district.csv",
            district_entries(district, questionnaire),
            margin_labels(questionnaire),
        )
        with session_scope(engine) as session:
            # The shipped questionnaire is already there (migration 0006); another is stored.
            record = store_questionnaire(session=session, questionnaire=questionnaire)
            parsed = read_district_file(path, margin_labels(questionnaire))
            report = import_district(session=session, parsed=parsed, actor="seed")
            if not report.ok:
                raise ImportFileError("; ".join(str(p) for p in report.problems))
    with session_scope(engine) as session:
        ids = {c.code: c.id for c in session.exec(select(Community)).all()}
        community_ids = [int(ids[c.code] or 0) for c in district.communities]
        wave_rows = []
        for k, wave in enumerate(district.waves):
            closing = close_all_but_last and k < len(district.waves) - 1
            submitted = wave.submitted_at.astype("datetime64[us]").astype(datetime)
            first = min(submitted).replace(tzinfo=UTC) if len(submitted) else None
            last = max(submitted).replace(tzinfo=UTC) if len(submitted) else None
            row = create_wave(
                session=session,
                code=wave.code,
                questionnaire=record,
                actor="seed",
                opens_at=first,
                closes_at=last + timedelta(seconds=1) if closing and last else None,
            )
            if first is None:
                open_wave(session=session, code=wave.code, actor="seed")
            else:
                mark_opened(session=session, waves=[row])
            wave_rows.append(row)
    return wave_rows, community_ids


def close_seeded(engine: Engine, waves: list[Wave]) -> None:
    """Close the earlier waves after their responses are in (scoring is the caller's: demo)."""
    with session_scope(engine) as session:
        for wave in waves:
            row = session.get(Wave, wave.id)
            assert row is not None
            row.status = "closed"
            session.add(row)
            wave.status = "closed"


def seed_database(
    engine: Engine,
    district: Any,
    *,
    questionnaire: Questionnaire | None = None,
    close_all_but_last: bool = True,
) -> SeedReport:
    questionnaire = questionnaire or load_default()
    wave_rows, community_ids = register_district(
        engine, district, questionnaire=questionnaire, close_all_but_last=close_all_but_last
    )
    total = 0
    for wave, wave_row in zip(district.waves, wave_rows, strict=True):
        total += _insert_wave(engine, questionnaire, wave, wave_row, community_ids, district)
    close_seeded(engine, [w for w in wave_rows if w.closes_at is not None])
    return SeedReport(len(district.streets), len(district.communities), len(district.waves), total)


def _insert_wave(
    engine: Engine,
    questionnaire: Questionnaire,
    wave: Any,
    wave_row: Wave,
    community_ids: list[int],
    district: Any,
) -> int:
    vectors = packed_vectors(questionnaire, wave)
    codes = np.asarray([district.communities[i].code for i in range(len(community_ids))])
    ids = np.asarray(community_ids)[wave.community_index]
    submitted = wave.submitted_at.astype("datetime64[us]").astype(datetime)
    n = vectors.shape[0]
    table = Response.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        for start in range(0, n, CHUNK):
            rows = []
            for i in range(start, min(n, start + CHUNK)):
                answers = wave.answers_dict(i)
                at = submitted[i].replace(tzinfo=UTC)
                duration = float(wave.durations_s[i])
                rows.append(
                    {
                        "client_id": wave.client_ids[i],
                        "wave_id": wave_row.id,
                        "community_id": int(ids[i]),
                        "questionnaire_id": wave_row.questionnaire_id,
                        "started_at": at - timedelta(seconds=duration),
                        "submitted_at": at,
                        "duration_s": duration,
                        "channel": "synthetic",
                        "payload_hash": payload_hash(
                            wave=wave.code,
                            community=str(codes[wave.community_index[i]]),
                            answers=answers,
                        ),
                        "quality_flags": [],
                        "answers": answers,
                        "numeric": vectors[i].tobytes(),
                    }
                )
            conn.execute(insert(table), rows)
    return n


def write_csv(district: Any, folder: Path) -> list[Path]:
    """One paper-import CSV per wave (the format ``meihao import`` reads)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for wave in district.waves:
        path = folder / f"{wave.code}.csv"
        wave.to_csv(path)
        paths.append(path)
    return paths
