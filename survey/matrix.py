"""One wave's responses → plain numpy arrays for scoring (the hot path between storage and
scoring). One ``SELECT`` of the packed vectors, one ``frombuffer``; no per-answer Python work."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlmodel import Session, select

from survey.encoding import NO_ANSWER, decode_numeric, numeric_layout
from survey.models import Community, Response, Street
from survey.registry import get_wave, questionnaire_for_wave

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
    quality_flags: list[list[str]] = field(default_factory=list)
    housing_types: list[str] = field(default_factory=list)


def load_wave_matrix(*, session: Session, wave_code: str) -> WaveMatrix:
    wave = get_wave(session=session, code=wave_code)
    questionnaire = questionnaire_for_wave(session=session, wave=wave)
    slots = numeric_layout(questionnaire)
    rows = session.exec(
        select(
            Response.id,
            Response.community_id,
            Response.duration_s,
            Response.numeric,
            Response.quality_flags,
        )
        .where(Response.wave_id == wave.id)
        .order_by(Response.id)  # type: ignore[arg-type]
    ).all()
    raw = decode_numeric([r[3] for r in rows], len(slots))
    communities = session.exec(
        select(Community, Street).join(Street).order_by(Community.code)  # type: ignore[arg-type]
    ).all()
    position = {c.id: i for i, (c, _s) in enumerate(communities)}
    community_ids = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
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
        durations=np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=float),
        response_ids=np.array([r[0] for r in rows], dtype=np.int64),
        flags=[list(r[4] or []) for r in rows],
    )


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
    flags: list[list[str]],
) -> WaveMatrix:
    scored = [i for i, s in enumerate(slots) if s.kind in ("likert", "rating")]
    values = raw[:, scored].astype(np.float64)
    na_codes = np.array([_na_code(questionnaire, slots[i].code) for i in scored], dtype=float)
    dont_know = values == na_codes  # NaN na_code (none) never matches
    values[(values == NO_ANSWER) | dont_know] = np.nan
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
    )


def _na_code(questionnaire: Any, code: str) -> float:
    item = questionnaire.item(code)
    if item.kind != "likert":
        return np.nan
    scale = questionnaire.item_scale(code)
    return np.nan if scale.na_code is None else float(scale.na_code)


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
