"""Synthetic districts with known truth: streets, communities, margins and survey waves.

``generate_district()`` builds a Chenghua-like district (11 streets, 83 communities) by default,
or a city (``n_communities=3000``), with per-community true scores that drift between waves, and
one columnar :class:`SyntheticWave` of responses per wave. Everything is drawn from one seed:
the same arguments give identical arrays. See ``district.py`` for the truth model and
``responses.py`` for the response model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from survey.synthetic.district import (
    AGE_BANDS,
    CELLS,
    GENDERS,
    HOUSING_TYPES,
    Community,
    Street,
    Truth,
    build_structure,
    build_truth,
)
from survey.synthetic.layout import layout_of
from survey.synthetic.names import CHENGHUA_STREETS
from survey.synthetic.responses import fieldwork_window, generate_wave
from survey.synthetic.wave import QUALITY_LABELS, SyntheticWave

__all__ = [
    "AGE_BANDS",
    "CELLS",
    "CHENGHUA_STREETS",
    "GENDERS",
    "HOUSING_TYPES",
    "QUALITY_LABELS",
    "Community",
    "Street",
    "SyntheticDistrict",
    "SyntheticWave",
    "Truth",
    "fieldwork_window",
    "generate_district",
]


@dataclass(frozen=True, eq=False)
class SyntheticDistrict:
    seed: int
    questionnaire: Any
    streets: list[Street]
    communities: list[Community]
    margins: np.ndarray  # (m, 10) int64 adults per CELLS entry; rows sum to population
    truth: Truth
    waves: list[SyntheticWave]  # in wave order; truth arrays use the same wave index

    @property
    def wave_codes(self) -> list[str]:
        return [w.code for w in self.waves]

    def wave(self, code: str) -> SyntheticWave:
        for wave in self.waves:
            if wave.code == code:
                return wave
        raise KeyError(f"no wave {code!r}; waves are {self.wave_codes}")

    @property
    def community_codes(self) -> list[str]:
        return [c.code for c in self.communities]

    @property
    def populations(self) -> np.ndarray:
        return np.asarray(self.margins.sum(axis=1))


def generate_district(
    *,
    seed: int = 0,
    n_streets: int = 11,
    n_communities: int = 83,
    waves: Sequence[str] = ("2025Q2", "2025Q4", "2026Q2"),
    respondents_per_community: int = 180,
    questionnaire: Any = None,
    drift: float = 1.0,
    true_changes: dict[int, float] | None = None,
    action_effects: dict[int, tuple[str, int, float]] | None = None,
) -> SyntheticDistrict:
    """A synthetic district and its survey waves, deterministic in ``seed``.

    ``drift`` scales the random change of the truth between waves (0 = unchanged);
    ``true_changes`` gives some communities (by index) a known change in latent points from
    the second wave on (see ``district.build_truth``); ``action_effects`` ``{community index:
    (sub-dimension code, from wave index, latent points)}`` plants an action's effect on one
    sub-dimension from that wave on, its truth in ``truth.action_effect`` (0–100 score points).

    ``questionnaire`` defaults to the shipped default (``survey.questionnaire.model.load_default``).
    """
    if questionnaire is None:
        from survey.questionnaire.model import load_default

        questionnaire = load_default()
    waves = tuple(waves)
    if len(set(waves)) != len(waves):
        raise ValueError("wave codes must be unique")
    layout = layout_of(questionnaire)
    structure_seed, truth_seed, *wave_seeds = np.random.SeedSequence(seed).spawn(2 + len(waves))
    structure = build_structure(np.random.default_rng(structure_seed), n_streets, n_communities)
    truth = build_truth(
        np.random.default_rng(truth_seed),
        structure,
        layout,
        len(waves),
        drift_scale=drift,
        true_changes=true_changes,
        action_effects=action_effects,
    )
    generated = [
        generate_wave(
            np.random.default_rng(wave_seed),
            wave_index=w,
            wave_code=code,
            structure=structure,
            truth=truth,
            layout=layout,
            respondents_per_community=respondents_per_community,
        )
        for w, (code, wave_seed) in enumerate(zip(waves, wave_seeds, strict=True))
    ]
    return SyntheticDistrict(
        seed=seed,
        questionnaire=questionnaire,
        streets=structure.streets,
        communities=structure.communities,
        margins=structure.margins,
        truth=truth,
        waves=generated,
    )
