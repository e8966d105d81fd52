"""One wave's response data for researchers, the same structure from every source.

:class:`ResearchData` holds the numeric arrays of :class:`survey.storage.matrix.WaveMatrix`
(answers, communities, weighting cells, durations, priorities) plus what a notebook needs to
interpret them without a database: community names and streets, population margins, the
questionnaire and its index tree (``framework``, the plain dict
``scoring.framework.Framework.from_dict`` reads). It is built from the database here, from an
exported file in :mod:`survey.formats.research_files`, and over HTTP by
``api.research.client.MeihaoClient.response_data``. ``survey`` does not import ``scoring``;
``api.services.bridge.to_survey_data`` converts.

Row order follows the source (database: arrival; exports: shuffled for privacy), so
comparisons across sources use :meth:`ResearchData.canonical`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey.errors import NotFoundError
from survey.questionnaire.model import Questionnaire
from survey.storage.db import make_engine
from survey.storage.matrix import WaveMatrix, load_wave_matrix
from survey.storage.models import Wave
from survey.storage.registry import get_wave, questionnaire_for_wave

DEFAULT_DATABASE_URL = "sqlite:///var/meihao.db"
ROW_FIELDS = ("X", "dont_know", "community_index", "strata", "durations", "priorities")


@dataclass
class ResearchData:
    """Answers of one wave (n respondents × p scored items) and their context.

    ``X`` holds raw answers (NaN = no answer or 不了解/不适用; ``dont_know`` tells which);
    ``community_index`` points into ``community_codes``; ``strata`` is the age band × gender
    cell (into ``stratum_labels``, −1 unknown) and ``margins`` the population per community and
    cell, for raking; ``priorities`` the P1 choices (columns ``priority_codes``).
    """

    wave: str
    questionnaire: dict[str, Any]  # the full questionnaire definition (JSON)
    framework: dict[str, Any]  # the index tree for scoring (Questionnaire.framework_dict())
    X: np.ndarray
    codes: list[str]
    dont_know: np.ndarray
    community_index: np.ndarray
    community_codes: list[str]
    community_names: list[str]
    community_streets: list[str]
    street_names: dict[str, str]
    housing_types: list[str]
    strata: np.ndarray
    stratum_labels: list[str]
    margins: np.ndarray
    durations: np.ndarray
    priorities: np.ndarray
    priority_codes: list[str]
    quality_flags: list[list[str]]
    source: str = ""

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def m(self) -> int:
        return len(self.community_codes)

    @classmethod
    def from_matrix(
        cls, matrix: WaveMatrix, questionnaire: Questionnaire, source: str = ""
    ) -> ResearchData:
        return cls(
            wave=matrix.wave,
            questionnaire=questionnaire.model_dump(mode="json"),
            framework=questionnaire.framework_dict(),
            X=matrix.X,
            codes=list(matrix.codes),
            dont_know=matrix.dont_know,
            community_index=matrix.community_index,
            community_codes=list(matrix.community_codes),
            community_names=list(matrix.community_names),
            community_streets=list(matrix.community_streets),
            street_names=dict(matrix.street_names),
            housing_types=list(matrix.housing_types),
            strata=matrix.strata,
            stratum_labels=list(matrix.stratum_labels),
            margins=matrix.margins,
            durations=matrix.durations,
            priorities=matrix.priorities,
            priority_codes=list(matrix.priority_codes),
            quality_flags=[list(f) for f in matrix.quality_flags],
            source=source,
        )

    def take(self, rows: np.ndarray) -> ResearchData:
        """The given rows (indices or a mask), in that order; communities unchanged."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        arrays = {name: getattr(self, name)[rows] for name in ROW_FIELDS}
        flags = [self.quality_flags[i] for i in rows] if self.quality_flags else []
        return replace(self, **arrays, quality_flags=flags)

    def canonical(self) -> ResearchData:
        """Rows sorted by community, then by their content, so two sources holding the same
        responses in different orders give identical arrays (rows that tie are identical in
        every sorted field). Durations sort after rounding to whole seconds, as exported."""
        flags = np.unique(
            [";".join(f) for f in self.quality_flags] or [""] * self.n, return_inverse=True
        )[1].reshape(-1)
        keys = [
            np.round(self.durations),
            flags,
            *self.priorities.T,
            self.strata,
            *self.dont_know.T,
            *np.nan_to_num(self.X, nan=-1.0).T[::-1],
            self.community_index,
        ]
        # lexsort's last key is the primary one.
        return self.take(np.lexsort([np.asarray(k) for k in keys]))

    def reference(self) -> dict[str, Any]:
        """The wave's non-response context (what :func:`wave_reference` returns)."""
        return {
            "wave": self.wave,
            "questionnaire": self.questionnaire,
            "stratum_labels": list(self.stratum_labels),
            "communities": [
                {
                    "code": code,
                    "name": name,
                    "street": street,
                    "street_name": self.street_names.get(street, street),
                    "housing_type": housing,
                    "margins": [float(v) for v in self.margins[i]],
                }
                for i, (code, name, street, housing) in enumerate(
                    zip(
                        self.community_codes,
                        self.community_names,
                        self.community_streets,
                        self.housing_types,
                        strict=True,
                    )
                )
            ],
        }

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per response (pandas is needed only here)."""
        import pandas as pd

        idx = self.community_index
        labels = np.array([*self.stratum_labels, ""], dtype=object)
        frame = pd.DataFrame(
            {
                "community": np.array(self.community_codes, dtype=object)[idx],
                "community_name": np.array(self.community_names, dtype=object)[idx],
                "street": np.array(self.community_streets, dtype=object)[idx],
                "stratum": labels[self.strata],  # −1 → the trailing ""
                "duration_s": self.durations,
            }
        )
        items = pd.DataFrame(self.X, columns=self.codes)
        dk = pd.DataFrame(self.dont_know, columns=[f"{c}_dk" for c in self.codes])
        chosen = pd.DataFrame(self.priorities, columns=[f"P1_{c}" for c in self.priority_codes])
        return pd.concat([frame, items, dk, chosen], axis=1)


def database_url(url: str | None = None) -> str:
    """``url``, else ``MEIHAO_DATABASE_URL``, else the demo's SQLite file."""
    return url or os.environ.get("MEIHAO_DATABASE_URL") or DEFAULT_DATABASE_URL


def _engine(database: str | Engine | None) -> tuple[Engine, bool]:
    if isinstance(database, Engine):
        return database, False
    return make_engine(database_url(database)), True


def wave_codes(database: str | Engine | None = None) -> list[str]:
    """The waves in the database, in code order (codes such as ``2025Q2`` sort in time)."""
    engine, owned = _engine(database)
    try:
        with Session(engine) as session:
            return list(session.exec(select(Wave.code).order_by(Wave.code)).all())
    finally:
        if owned:
            engine.dispose()


def load_research_data(
    database: str | Engine | None = None, wave: str | None = None
) -> ResearchData:
    """One wave from the database (default: ``MEIHAO_DATABASE_URL``; the latest wave)."""
    engine, owned = _engine(database)
    try:
        with Session(engine) as session:
            if wave is None:
                codes = list(session.exec(select(Wave.code).order_by(Wave.code)).all())
                if not codes:
                    raise NotFoundError("the database has no survey waves")
                wave = codes[-1]
            record = get_wave(session=session, code=wave)
            questionnaire = questionnaire_for_wave(session=session, wave=record)
            matrix = load_wave_matrix(session=session, wave_code=wave)
            return ResearchData.from_matrix(matrix, questionnaire, source=f"database:{wave}")
    finally:
        if owned:
            engine.dispose()


def wave_reference(*, session: Session, wave_code: str) -> dict[str, Any]:
    """Communities (names, streets, margins) and the questionnaire of a wave, without any
    response: what a file export needs beside it to become :class:`ResearchData`."""
    wave = get_wave(session=session, code=wave_code)
    questionnaire = questionnaire_for_wave(session=session, wave=wave)
    # The matrix path is the one definition of communities, cells and margins; reading the
    # packed answers too costs one SELECT, which this researcher-only call can afford.
    matrix = load_wave_matrix(session=session, wave_code=wave.code)
    return ResearchData.from_matrix(matrix, questionnaire).reference()


def differing_fields(a: ResearchData, b: ResearchData) -> list[str]:
    """Names of the fields in which two datasets differ (arrays compared exactly, NaN = NaN)."""
    out = []
    for f in fields(ResearchData):
        if f.name == "source":
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            if x.shape != np.shape(y) or not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
                out.append(f.name)
        elif x != y:
            out.append(f.name)
    return out
