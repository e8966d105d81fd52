"""One wave's responses → plain numpy arrays for scoring (the hot path between storage and
scoring). One ``SELECT`` of the packed vectors, one ``frombuffer``; no per-answer Python work."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import Text, cast
from sqlalchemy import select as sa_select
from sqlmodel import Session

from survey.storage.encoding import NO_ANSWER, decode_numeric, numeric_layout
from survey.storage.models import Community, Response, Street
from survey.storage.registry import get_wave, questionnaire_for_wave

AGE_CODE = "age_band"
GENDER_CODE = "gender"


@dataclass
class WaveMatrix:
    """Everything scoring needs about one wave, as numpy arrays (see docs/interfaces.md)."""

    wave: str
    X: np.ndarray  # (n, p) float64 raw answers, NaN for no answer and for don't-know
    codes: list[str]  # p item codes (likert items, then ratings, in questionnaire order)
    dont_know: np.ndarray  # (n, p) bool: answered "don't know / not applicable"
    community_index: np.ndarray  # (n,) int into community_codes
    community_codes: list[str]
    community_names: list[str]
    community_streets: list[str]  # street code per community
    street_names: dict[str, str]
    strata: np.ndarray  # (n,) int cell index into stratum_labels, -1 unknown
    stratum_labels: list[str]  # "age|gender"
    margins: np.ndarray  # (m, cells) population counts (0 where unknown)
    durations: np.ndarray  # (n,) seconds, NaN unknown
    priorities: np.ndarray  # (n, k) bool, stated top-three sub-dimensions (P1)
    priority_codes: list[str]
    response_ids: np.ndarray  # (n,) int
    # Per row; rows with the same flags share one tuple (900,000 lists cost 0.5 s at P4 scale).
    quality_flags: list[tuple[str, ...]] = field(default_factory=list)
    housing_types: list[str] = field(default_factory=list)
    # The register's adult population per community (0 unknown): street and district figures
    # weight communities by it. Lineage: [{"code", "share"}, ...] per community (merges, splits).
    populations: list[int] = field(default_factory=list)
    predecessors: list[list[dict[str, Any]]] = field(default_factory=list)


def load_wave_matrix(*, session: Session, wave_code: str) -> WaveMatrix:
    wave = get_wave(session=session, code=wave_code)
    questionnaire = questionnaire_for_wave(session=session, wave=wave)
    slots = numeric_layout(questionnaire)
    rows = _wave_rows(session, wave.id or 0)
    # One C-level pass per column (zip(*rows) over 900,000 rows took 0.8 s).
    ids, community_column, durations, blobs, flags = (
        list(map(itemgetter(k), rows)) for k in range(5)
    )
    del rows
    raw = decode_numeric(blobs, len(slots))
    communities = _communities(session)
    position = {c.id: i for i, (c, _s) in enumerate(communities)}
    community_ids = np.array(community_column, dtype=np.int64)
    lookup = np.full(max(position, default=0) + 1, -1, dtype=np.int64)
    for cid, i in position.items():
        lookup[cid] = i
    return _assemble(
        wave.code,
        questionnaire,
        slots,
        raw,
        lookup[community_ids],
        communities,
        durations=np.array(durations, dtype=float),  # None → NaN
        response_ids=np.array(ids, dtype=np.int64),
        flags=_flag_tuples(flags),
    )


def _wave_rows(session: Session, wave_id: int) -> Sequence[Any]:
    """(id, community id, duration, packed vector, flags JSON text) per response, in id order.

    Fetched with the driver's own cursor, the flags as text: at city scale (P4) the ORM's Row
    objects and its per-row JSON decoding of nearly always empty flag lists cost more than the
    fetch itself. The flags are parsed once per distinct text instead.
    """
    table = Response.__table__  # type: ignore[attr-defined]
    query = (
        sa_select(
            table.c.id,
            table.c.community_id,
            table.c.duration_s,
            table.c.numeric,
            cast(table.c.quality_flags, Text),
        )
        .where(table.c.wave_id == int(wave_id))
        .order_by(table.c.id)
    )
    connection = session.connection()
    # The only parameter is an int we hold, so rendering it inline is safe.
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def _flag_tuples(texts: list[Any]) -> list[tuple[str, ...]]:
    parsed = {t: tuple(json.loads(t) or ()) if t else () for t in set(texts)}
    return [parsed[t] for t in texts]


class _CommunityRow(NamedTuple):
    id: int
    code: str
    name: str
    housing_type: str
    margins: dict[str, float]
    population: int = 0
    predecessors: list[dict[str, Any]] | None = None


class _StreetRow(NamedTuple):
    code: str
    name: str


def _communities(session: Session) -> list[tuple[_CommunityRow, _StreetRow]]:
    """Every community with its street, by code: plain rows, not ORM objects (3,000 of those
    with their identity map cost 0.2 s at city scale, a sixth of the fetch itself)."""
    c, s = Community.__table__, Street.__table__  # type: ignore[attr-defined]
    query = (
        sa_select(
            c.c.id,
            c.c.code,
            c.c.name,
            c.c.housing_type,
            c.c.margins,
            c.c.population,
            c.c.predecessors,
            s.c.code,
            s.c.name,
        )
        .join_from(c, s, c.c.street_id == s.c.id)
        .order_by(c.c.code)
    )
    result = session.connection().execute(query)
    return [
        (
            _CommunityRow(cid, code, name, housing, margins or {}, int(pop or 0), pred or []),
            _StreetRow(scode, sname),
        )
        for cid, code, name, housing, margins, pop, pred, scode, sname in result
    ]


def _assemble(
    wave_code: str,
    questionnaire: Any,
    slots: tuple[Any, ...],
    raw: np.ndarray,
    community_index: np.ndarray,
    communities: Any,
    *,
    durations: np.ndarray,
    response_ids: np.ndarray,
    flags: list[tuple[str, ...]],
) -> WaveMatrix:
    scored = [i for i, s in enumerate(slots) if s.kind in ("likert", "rating")]
    # A view when the scored items are adjacent (they are in the default questionnaire): no
    # copy of the block before the float64 matrix, which is the one allocation that must happen.
    contiguous = scored == list(range(scored[0], scored[-1] + 1)) if scored else False
    answers = raw[:, scored[0] : scored[-1] + 1] if contiguous else raw[:, scored]
    # Compared as int16: a float comparison would first copy the whole block to float64.
    na_codes = np.array([_na_code(questionnaire, slots[i].code) for i in scored], dtype=np.int16)
    dont_know = answers == na_codes
    values = answers.astype(np.float64)
    np.copyto(values, np.nan, where=(answers == NO_ANSWER) | dont_know)
    strata, labels = _strata(questionnaire, slots, raw)
    priority_item = questionnaire.priority_item()
    priority_code = priority_item.code if priority_item is not None else None
    priority_slots = [i for i, s in enumerate(slots) if s.code == priority_code]
    return WaveMatrix(
        wave=wave_code,
        X=values,
        codes=[slots[i].code for i in scored],
        dont_know=dont_know,
        community_index=community_index,
        community_codes=[c.code for c, _s in communities],
        community_names=[c.name for c, _s in communities],
        community_streets=[s.code for _c, s in communities],
        street_names={s.code: s.name for _c, s in communities},
        strata=strata,
        stratum_labels=labels,
        margins=np.array(
            [[float(c.margins.get(label, 0.0)) for label in labels] for c, _s in communities]
        ).reshape(len(communities), len(labels)),
        durations=durations,
        priorities=raw[:, priority_slots] == 1,
        priority_codes=[slots[i].option for i in priority_slots],
        response_ids=response_ids,
        quality_flags=flags,
        housing_types=[c.housing_type for c, _s in communities],
        populations=[c.population for c, _s in communities],
        predecessors=[list(c.predecessors or []) for c, _s in communities],
    )


NEVER = np.iinfo(np.int16).min  # "no don't-know code": no stored value equals it


def _na_code(questionnaire: Any, code: str) -> int:
    item = questionnaire.item(code)
    if item.kind != "likert":
        return NEVER
    scale = questionnaire.item_scale(code)
    return NEVER if scale.na_code is None else int(scale.na_code)


def _strata(
    questionnaire: Any, slots: tuple[Any, ...], raw: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Age band × gender cell per respondent, for raking to the community's margins."""
    names = [s.name for s in slots]
    if AGE_CODE not in names or GENDER_CODE not in names:
        return np.full(raw.shape[0], -1, dtype=np.int64), []
    ages = [o.value for o in questionnaire.item(AGE_CODE).options]
    genders = [o.value for o in questionnaire.item(GENDER_CODE).options]
    labels = [f"{a}|{g}" for a in ages for g in genders]
    age = raw[:, names.index(AGE_CODE)].astype(np.int64) - 1
    gender = raw[:, names.index(GENDER_CODE)].astype(np.int64) - 1
    known = (age >= 0) & (gender >= 0)
    return np.where(known, age * len(genders) + gender, -1), labels
