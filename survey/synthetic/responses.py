"""One wave of synthetic responses, column by column (no Python loop over respondents).

Respondent i in community c and cell a (age band × gender) answers index item j with::

    latent = truth.latent[w, c, j] + cell_effect[a] + u_i + v_i[dim(j)] + e_ij

cut at evenly spaced thresholds into 1..k (reverse-keyed items record k + 1 − x: the resident
*disagrees* with a negative statement). Ratings and the extra likert items (R1, R3, R4) use the
respondent's overall latent, the mean of their item latents. Older residents are over-sampled
(``RESPONSE_PROPENSITY``), and a few per cent are speeders, straight-liners or duplicates.
"""

from __future__ import annotations

import re

import numpy as np

from survey.synthetic import district as model
from survey.synthetic import names, quality
from survey.synthetic.district import Structure, Truth
from survey.synthetic.layout import Layout
from survey.synthetic.wave import QUALITY_LABELS, SyntheticWave

SPEEDER_RATE, STRAIGHTLINER_RATE, DUPLICATE_RATE = 0.03, 0.02, 0.01
TEXT_RATE, GRID_RATE = 0.12, 0.4
FIELDWORK_OFFSET_DAYS, FIELDWORK_DAYS = 14, 42
UTC_OFFSET = np.timedelta64(8, "h")  # fieldwork hours are Beijing time; arrays hold UTC

# don't-know rates by dimension (residents often don't know NGO or governance work)
_DK_RATE = {"D1": 0.06, "D2": 0.03, "D3": 0.06, "D4": 0.14, "D5": 0.12, "D6": 0.02}
_DK_ITEM = {"D3.3": 0.2, "D4.4": 0.18, "D4.5": 0.17, "D5.3": 0.15}
_EXTRA_LIKERT_DK = 0.01

# demographic answer models: rows are age bands, columns the item's options in order
_BY_AGE = {
    "residence_years": [
        [0.25, 0.35, 0.2, 0.12, 0.08],
        [0.12, 0.25, 0.23, 0.25, 0.15],
        [0.06, 0.14, 0.17, 0.25, 0.38],
        [0.03, 0.08, 0.1, 0.2, 0.59],
        [0.02, 0.05, 0.08, 0.15, 0.7],
    ],
    "tenure": [
        [0.3, 0.6, 0.07, 0.03],
        [0.6, 0.34, 0.03, 0.03],
        [0.78, 0.17, 0.02, 0.03],
        [0.85, 0.1, 0.02, 0.03],
        [0.86, 0.08, 0.02, 0.04],
    ],
    "household_elderly": [[0.35, 0.65], [0.4, 0.6], [0.45, 0.55], [0.9, 0.1], [0.95, 0.05]],
    "household_children": [[0.15, 0.85], [0.55, 0.45], [0.35, 0.65], [0.2, 0.8], [0.1, 0.9]],
    "participation": [
        [0.5, 0.3, 0.13, 0.07],
        [0.45, 0.32, 0.15, 0.08],
        [0.38, 0.32, 0.18, 0.12],
        [0.25, 0.3, 0.23, 0.22],
        [0.25, 0.3, 0.22, 0.23],
    ],
    "mode": [
        [0.95, 0.04, 0.01],
        [0.93, 0.05, 0.02],
        [0.85, 0.09, 0.06],
        [0.7, 0.15, 0.15],
        [0.5, 0.2, 0.3],
    ],
}
# tenure tilt by the respondent's own housing type (HOUSING_TYPES, then "other")
_TENURE_BY_HOUSING = np.array(
    [
        [1.0, 1.0, 0.5, 1.0],
        [1.1, 0.8, 1.5, 1.0],
        [1.2, 0.6, 0.3, 1.0],
        [0.4, 2.5, 1.5, 1.0],
        [0.7, 2.0, 0.5, 1.0],
        [1.0, 1.0, 1.0, 1.0],
    ]
)
_OPTIONAL_ANSWER_RATE = 0.95
_DURATION_AGE = np.array([0.85, 0.92, 1.0, 1.12, 1.25])


def generate_wave(
    rng: np.random.Generator,
    *,
    wave_index: int,
    wave_code: str,
    structure: Structure,
    truth: Truth,
    layout: Layout,
    respondents_per_community: int,
) -> SyntheticWave:
    m = len(structure.communities)
    spread = respondents_per_community // 10
    counts = respondents_per_community + rng.integers(-spread, spread + 1, m)
    counts = np.maximum(counts, 2)
    n = int(counts.sum())
    comm = np.repeat(np.arange(m, dtype=np.int32), counts)
    cell = _sample_cells(rng, structure.margins, comm)
    age = cell // 2
    label = _labels(rng, n)

    numeric = np.full((n, len(layout.numeric_codes)), -1, dtype=np.int16)
    latent = truth.latent[wave_index].astype(np.float32)  # (m, J)
    person = rng.standard_normal(n, dtype=np.float32) * np.float32(model.SD_RESPONDENT)
    person += model.cell_effect().astype(np.float32)[cell]
    person_dim = rng.standard_normal((n, len(layout.dim_codes)), dtype=np.float32)
    person_dim *= np.float32(model.SD_RESPONDENT_DIM)
    item_dim = layout.item_dim
    for j, code in enumerate(layout.main_codes):
        mu = latent[comm, j] + person + person_dim[:, item_dim[j]]
        mu += rng.standard_normal(n, dtype=np.float32) * np.float32(model.SD_ITEM_NOISE)
        points = layout.likert_points[code]
        x = _cut(mu, points)
        if layout.reverse[j]:
            x = (points + 1 - x).astype(np.int16)
        rate = _DK_ITEM.get(code, _DK_RATE.get(layout.dim_codes[item_dim[j]], 0.05))
        numeric[:, layout.column[code]] = _with_dont_know(rng, x, rate, layout.na_codes[code])

    dim_share = np.bincount(item_dim, minlength=len(layout.dim_codes)) / layout.n_items
    overall = latent.mean(axis=1)[comm] + person + person_dim @ dim_share.astype(np.float32)
    own_housing = _own_housing(rng, structure.housing_mix, comm)
    for code in layout.numeric_codes:
        if code in layout.main_codes:
            continue
        column = _other_item(rng, code, layout, overall, cell, own_housing)
        if column is not None:
            numeric[:, layout.column[code]] = column

    priorities = _priorities(rng, layout, truth.subdimension[wave_index], comm)
    texts = _texts(rng, layout, priorities)
    n_grids = np.array([len(c.grids) for c in structure.communities])
    grid_index = np.where(
        rng.random(n) < GRID_RATE, (rng.random(n) * n_grids[comm]).astype(np.int16), -1
    ).astype(np.int16)

    durations = np.exp(rng.normal(np.log(540.0), 0.35, n)) * _DURATION_AGE[age]
    start, end = fieldwork_window(wave_code, wave_index)
    submitted = _submission_times(rng, n, start)

    quality.speeders(rng, numeric, durations, label == 1, layout)
    quality.straightliners(rng, numeric, durations, label == 2, layout)
    duplicate_of = quality.duplicates(
        rng,
        label == 3,
        comm,
        copy=(numeric, priorities, grid_index, cell),
        texts=texts,
        durations=durations,
        submitted=submitted,
        nudge_columns=np.array([layout.column[c] for c in layout.main_codes]),
    )
    label[(label == 3) & (duplicate_of < 0)] = 0  # a community with nobody to copy
    submitted = np.minimum(submitted, end - np.timedelta64(1, "s"))
    return SyntheticWave(
        code=wave_code,
        questionnaire=layout.questionnaire,
        layout=layout,
        communities=structure.communities,
        community_index=comm,
        numeric=numeric,
        codes=layout.numeric_codes,
        strata=cell.astype(np.int8),
        priorities=priorities,
        priority_codes=layout.options.get(layout.priority_code or "", layout.subdim_codes),
        texts=texts,
        grid_index=grid_index,
        durations_s=durations.round(1),
        submitted_at=submitted,
        client_ids=_uuids(rng, n),
        quality_label=np.asarray(QUALITY_LABELS)[label],
        duplicate_of=duplicate_of,
        window=(start, end),
    )


def _labels(rng: np.random.Generator, n: int) -> np.ndarray:
    """0 ok, 1 speeder, 2 straight-liner, 3 duplicate (indices into QUALITY_LABELS)."""
    edges = np.cumsum([SPEEDER_RATE, STRAIGHTLINER_RATE, DUPLICATE_RATE])
    drawn = np.searchsorted(edges, rng.random(n), side="right")
    return np.where(drawn < 3, drawn + 1, 0).astype(np.int8)


def _sample_cells(rng: np.random.Generator, margins: np.ndarray, comm: np.ndarray) -> np.ndarray:
    """Respondents' cells: population share × age-rising response propensity, per community."""
    weights = margins * np.repeat(model.RESPONSE_PROPENSITY, 2)
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    cum[:, -1] = 1.0
    k = margins.shape[1]
    flat = (cum + np.arange(len(margins))[:, None]).ravel()
    pos = np.searchsorted(flat, comm + rng.random(len(comm)), side="right")
    return np.minimum(pos - comm.astype(np.int64) * k, k - 1)


def _cut(latent: np.ndarray, points: int) -> np.ndarray:
    """Ordered-probit style cut of a 0–100 latent into 1..points (evenly spaced thresholds)."""
    x = np.floor(latent * np.float32((points - 1) / 100.0) + np.float32(0.5))
    return (np.clip(x, 0, points - 1) + 1).astype(np.int16)


def _with_dont_know(
    rng: np.random.Generator, x: np.ndarray, rate: float, na_code: int | None
) -> np.ndarray:
    if na_code is None:
        return x
    return np.where(rng.random(len(x), dtype=np.float32) < rate, np.int16(na_code), x)


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One 0-based draw per row of ``probs`` (n × k, rows summing to 1)."""
    cum = np.cumsum(probs, axis=1)
    drawn = (rng.random(len(probs))[:, None] > cum[:, :-1]).sum(axis=1)
    return drawn


def _own_housing(rng: np.random.Generator, mix: np.ndarray, comm: np.ndarray) -> np.ndarray:
    """Respondent's housing type: the community's mix, with 3% "other" (index 5)."""
    probs = np.concatenate([mix * 0.97, np.full((len(mix), 1), 0.03)], axis=1)
    cum = np.cumsum(probs, axis=1)
    return (rng.random(len(comm))[:, None] > cum[comm, :-1]).sum(axis=1)


def _other_item(
    rng: np.random.Generator,
    code: str,
    layout: Layout,
    overall: np.ndarray,
    cell: np.ndarray,
    own_housing: np.ndarray,
) -> np.ndarray | None:
    """A numeric column for a non-index item: outcome ratings, R items, demographics."""
    n = len(overall)
    kind = layout.kinds[code]
    if kind == "likert":
        points = layout.likert_points[code]
        noise = rng.standard_normal(n, dtype=np.float32) * np.float32(model.SD_ITEM_NOISE)
        x = _cut(overall + np.float32(model.LIKERT_OFFSET.get(code, 0.0)) + noise, points)
        return _with_dont_know(rng, x, _EXTRA_LIKERT_DK, layout.na_codes[code])
    if kind == "rating":
        low, high = layout.rating_range[code]
        sd = model.SD_RATING_NOISE.get(code, model.DEFAULT_RATING_NOISE)
        score = overall + np.float32(model.RATING_OFFSET.get(code, 0.0))
        score += rng.standard_normal(n, dtype=np.float32) * np.float32(sd)
        x = np.floor(low + (high - low) * score / np.float32(100.0) + np.float32(0.5))
        return np.clip(x, low, high).astype(np.int16)
    if kind != "single_choice":
        return None  # numeric items: the default questionnaire has none
    options = layout.options[code]
    k = len(options)
    age = cell // 2
    index: np.ndarray
    if code == "age_18_plus" and "yes" in options:
        index = np.full(n, options.index("yes"))
    elif code == "age_band" and k == len(model.AGE_BANDS):
        index = age
    elif code == "gender" and k == len(model.GENDERS):
        index = cell % 2
    elif code == "housing_type" and k == len(model.HOUSING_TYPES) + 1:
        index = own_housing
    elif code == "tenure" and k == 4:
        probs = np.asarray(_BY_AGE["tenure"])[age] * _TENURE_BY_HOUSING[own_housing]
        index = _categorical(rng, probs / probs.sum(axis=1, keepdims=True))
    elif code in _BY_AGE and k == len(_BY_AGE[code][0]):
        index = _categorical(rng, np.asarray(_BY_AGE[code])[age])
    else:
        index = rng.integers(0, k, n)
    x = (index + 1).astype(np.int16)
    if not layout.required.get(code, True):
        x[rng.random(n) >= _OPTIONAL_ANSWER_RATE] = -1
    return x


def _priorities(
    rng: np.random.Generator, layout: Layout, sub_truth: np.ndarray, comm: np.ndarray
) -> np.ndarray:
    """P1: one to three sub-dimensions, preferring the community's weakest."""
    n, n_subs = len(comm), len(layout.subdim_codes)
    out = np.zeros((n, n_subs), dtype=bool)
    if layout.priority_code is None:
        return out
    utility = (-sub_truth / 3.0).astype(np.float32)[comm]
    utility += rng.gumbel(size=(n, n_subs)).astype(np.float32)
    top = min(3, layout.priority_max, n_subs)
    chosen = np.argpartition(-utility, top - 1, axis=1)[:, :top]
    order = np.argsort(-np.take_along_axis(utility, chosen, axis=1), axis=1)
    chosen = np.take_along_axis(chosen, order, axis=1)
    how_many = 1 + np.searchsorted(np.cumsum([0.15, 0.25, 0.6][:top]), rng.random(n))
    how_many = np.minimum(how_many, top)
    rows, ranks = np.nonzero(np.arange(top)[None, :] < how_many[:, None])
    out[rows, chosen[rows, ranks]] = True
    return out


def _texts(rng: np.random.Generator, layout: Layout, priorities: np.ndarray) -> dict[int, str]:
    """Sparse P2 answers: a wish about the dimension of the respondent's first priority."""
    if layout.text_code is None:
        return {}
    rows = np.flatnonzero(rng.random(len(priorities)) < TEXT_RATE)
    first = priorities[rows].argmax(axis=1)
    dims = [layout.dim_codes[d] for d in layout.subdim_dim[first]]
    picks = rng.random(len(rows))
    out = {}
    for row, dim, pick in zip(rows.tolist(), dims, picks.tolist(), strict=True):
        pool = names.TEXTS.get(dim, names.GENERIC_TEXTS)
        out[row] = pool[int(pick * len(pool))]
    return out


def fieldwork_window(wave_code: str, wave_index: int) -> tuple[np.datetime64, np.datetime64]:
    """UTC bounds of the wave's fieldwork: six weeks from the 15th day of quarter ``YYYYQn``."""
    match = re.fullmatch(r"(\d{4})Q([1-4])", wave_code)
    if match:
        year, quarter = int(match.group(1)), int(match.group(2))
        first = np.datetime64(f"{year:04d}-{3 * quarter - 2:02d}-01", "D")
    else:
        first = np.datetime64("2025-04-01", "D") + np.timedelta64(182 * wave_index, "D")
    start = (first + np.timedelta64(FIELDWORK_OFFSET_DAYS, "D")).astype("datetime64[s]")
    start = start - UTC_OFFSET
    return start, start + np.timedelta64(FIELDWORK_DAYS, "D")


def _submission_times(rng: np.random.Generator, n: int, start: np.datetime64) -> np.ndarray:
    """Days front-loaded (campaign start), hours of day morning/afternoon/evening (local)."""
    day = np.floor(rng.beta(1.2, 1.8, n) * FIELDWORK_DAYS)
    peak = np.array([10.0, 15.5, 20.5])[_categorical(rng, np.tile([0.3, 0.25, 0.45], (n, 1)))]
    hour = np.clip(peak + rng.normal(0, 1.2, n), 7.0, 23.5)
    seconds = (day * 86400 + hour * 3600).astype(np.int64)
    return start + seconds.astype("timedelta64[s]")


def _uuids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Version-4 UUID strings from the generator's bytes (deterministic), vectorised."""
    raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    digits = np.empty((n, 32), dtype=np.uint8)
    digits[:, 0::2] = hexdigits[raw >> 4]
    digits[:, 1::2] = hexdigits[raw & 0x0F]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for lo, hi, dst in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
        out[:, dst : dst + hi - lo] = digits[:, lo:hi]
    return out.view("S36").ravel().astype("U36")
