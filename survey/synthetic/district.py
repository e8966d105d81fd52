"""The synthetic district: streets, communities, population margins and the known truth.

Truth model (0–100 latent satisfaction, per community, wave and index item)::

    latent[w, c, j] = base[dim] + street + street×dim + housing-mix effect[dim] + community
                      + community×dim + sub-dimension offsets + item offsets (+ housing × item)
                      + cumulative drift up to wave w (small for most, ±5–10 for a few)

A respondent's answer adds their cell effect (age band × gender), a respondent effect, a
respondent × dimension effect and item noise, then cuts the sum at evenly spaced thresholds
(ordered probit). ``Truth.item`` is the *expected* 0–100 score (percent-to-maximum, reverse items
scored back) in the community's population, computed in closed form from that model; it is
what a correctly weighted estimator recovers, so tests can check recovery against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr

from survey.synthetic import names
from survey.synthetic.layout import Layout

AGE_BANDS = ("18-29", "30-44", "45-59", "60-69", "70+")
GENDERS = ("male", "female")
CELLS = tuple(f"{a}|{g}" for a in AGE_BANDS for g in GENDERS)  # age-major cell order
HOUSING_TYPES = ("commercial", "old_estate", "resettlement", "affordable", "self_built")
HOUSING_ZH = (
    "商品房小区",
    "老旧院落/企业职工生活区",
    "安置小区",
    "保障性住房/人才公寓",
    "自建房/城中村",
)

# Older residents are a little more satisfied and much more likely to answer: an unweighted
# mean is biased upwards, which is what survey weights (raking to the margins) must correct.
AGE_EFFECT = np.array([-5.0, -2.5, 0.0, 3.5, 6.0])
GENDER_EFFECT = np.array([0.0, 1.0])
RESPONSE_PROPENSITY = np.array([0.5, 0.75, 1.0, 1.7, 2.2])

SD_RESPONDENT = 10.0  # respondent random effect
SD_RESPONDENT_DIM = 6.0  # respondent × dimension
SD_ITEM_NOISE = 16.0  # item-level noise
SD_RATING_NOISE = {"O1": 8.0, "O2": 10.0, "O3": 10.0}
RATING_OFFSET = {"O1": 0.0, "O2": -4.0, "O3": -8.0, "R2": -3.0}
LIKERT_OFFSET = {"R1": 3.0, "R3": -4.0, "R4": 4.0}
DEFAULT_RATING_NOISE = 15.0

_DIM_BASE = {"D1": 72.0, "D2": 73.0, "D3": 67.0, "D4": 63.0, "D5": 59.0, "D6": 66.0}
# rows: HOUSING_TYPES; columns D1..D6
_HOUSING_DIM = np.array(
    [
        [-2.0, 3.0, 2.0, -1.0, 1.0, 4.0],
        [3.0, 0.0, -1.0, 1.0, -2.0, -6.0],
        [1.0, -2.0, -2.0, 0.0, -1.0, -2.0],
        [0.0, 1.0, 0.0, 2.0, 0.0, 1.0],
        [-1.0, -3.0, -4.0, -2.0, -4.0, -7.0],
    ]
)
# a few items that depend strongly on the kind of estate (parking, property management, lifts)
_HOUSING_ITEM = {
    "D6.3": np.array([2.0, -9.0, -4.0, 0.0, -8.0]),
    "D5.4": np.array([3.0, -7.0, -3.0, 0.0, -6.0]),
    "D6.4": np.array([2.0, -5.0, 0.0, 1.0, -4.0]),
}
_HOUSING_P = np.array([0.42, 0.28, 0.14, 0.08, 0.08])
# adult age profile and its tilt by housing type (old estates older, villages younger)
_AGE_BASE = np.array([0.19, 0.28, 0.27, 0.14, 0.12])
_AGE_TILT = np.array(
    [
        [1.15, 1.2, 1.0, 0.8, 0.7],
        [0.8, 0.85, 1.0, 1.35, 1.6],
        [0.95, 1.0, 1.05, 1.05, 1.0],
        [1.5, 1.3, 0.8, 0.6, 0.5],
        [1.4, 1.2, 0.9, 0.8, 0.8],
    ]
)
_FEMALE_SHARE = np.array([0.49, 0.49, 0.5, 0.52, 0.56])
CHANGE_PROBABILITY = 0.12  # share of communities with a real change between two waves


@dataclass(frozen=True, eq=False)
class Street:
    code: str
    name: str


@dataclass(frozen=True, eq=False)
class Community:
    code: str
    name: str
    street_code: str
    housing_type: str  # dominant type, one of HOUSING_TYPES
    housing_mix: tuple[float, ...]  # share of residents per HOUSING_TYPES entry
    population: int  # adult residents; equals margins.sum()
    margins: np.ndarray  # (10,) int64 adults per CELLS entry (age band × gender)
    grids: tuple[str, ...]

    @property
    def housing_type_zh(self) -> str:
        return HOUSING_ZH[HOUSING_TYPES.index(self.housing_type)]


@dataclass(frozen=True, eq=False)
class Truth:
    """Known true values. Arrays are indexed ``[wave, community, ...]`` (district order)."""

    item_codes: tuple[str, ...]
    subdimension_codes: tuple[str, ...]
    dimension_codes: tuple[str, ...]
    latent: np.ndarray  # (W, m, J) latent item means, 0–100, before cell/respondent effects
    item: np.ndarray  # (W, m, J) expected population score 0–100 (ptm, reverse scored back)
    subdimension: np.ndarray  # (W, m, S) equal-weight means of item
    dimension: np.ndarray  # (W, m, D) equal-weight means of subdimension
    index: np.ndarray  # (W, m) equal-weight overall index
    osi: np.ndarray  # (W, m) expected overall satisfaction index from the outcome ratings
    sample_index: np.ndarray  # (W, m) what an unweighted respondent mean estimates (biased)
    changed: np.ndarray  # (W, m) bool: a real change happened between wave w−1 and w
    shift: np.ndarray  # (W, m) size of that real change in latent points (0 where none)
    # (W, m, S) what planted action effects add to the expected sub-dimension score (0–100
    # points, after the answer scale's compression), 0 where no action; see build_truth
    action_effect: np.ndarray | None = None

    def as_dict(self, wave: int, community: int) -> dict[str, Any]:
        """One community's truth in one wave as plain ``{code: score}`` data."""
        return {
            "index": float(self.index[wave, community]),
            "osi": float(self.osi[wave, community]),
            "dimensions": dict(
                zip(self.dimension_codes, self.dimension[wave, community].tolist(), strict=True)
            ),
            "subdimensions": dict(
                zip(
                    self.subdimension_codes,
                    self.subdimension[wave, community].tolist(),
                    strict=True,
                )
            ),
            "items": dict(zip(self.item_codes, self.item[wave, community].tolist(), strict=True)),
        }


@dataclass(frozen=True, eq=False)
class Structure:
    streets: list[Street]
    communities: list[Community]
    street_index: np.ndarray  # (m,) int
    housing_mix: np.ndarray  # (m, 5)
    margins: np.ndarray  # (m, 10) int64


def build_structure(rng: np.random.Generator, n_streets: int, n_communities: int) -> Structure:
    if n_streets < 1 or n_communities < n_streets:
        raise ValueError("need at least one street and at least one community per street")
    width = max(2, len(str(n_streets)))
    street_list = [
        Street(f"CH{k + 1:0{width}d}", name)
        for k, name in enumerate(names.street_names(n_streets, rng))
    ]
    per_street = 1 + rng.multinomial(
        n_communities - n_streets, rng.dirichlet(np.full(n_streets, 8.0))
    )
    street_index = np.repeat(np.arange(n_streets), per_street)
    dominant = rng.choice(len(HOUSING_TYPES), size=n_communities, p=_HOUSING_P)
    alpha = np.full((n_communities, len(HOUSING_TYPES)), 0.4)
    alpha[np.arange(n_communities), dominant] += 5.0
    mix = rng.standard_gamma(alpha)
    mix /= mix.sum(axis=1, keepdims=True)
    dominant = mix.argmax(axis=1)
    population = np.exp(rng.normal(np.log(15000.0), 0.75, n_communities))
    population = np.clip(population, 2000, 90000).round().astype(np.int64)
    margins = _margins(rng, population, mix)
    community_names = names.community_names(n_communities, rng)
    n_grids = np.clip(population // 2500, 2, 30)
    within = np.arange(n_communities) - np.repeat(np.cumsum(per_street) - per_street, per_street)
    cwidth = max(3, len(str(int(per_street.max()))))
    communities = [
        Community(
            code=f"{street_list[s].code}-{k + 1:0{cwidth}d}",
            name=community_names[c],
            street_code=street_list[s].code,
            housing_type=HOUSING_TYPES[dominant[c]],
            housing_mix=tuple(round(float(x), 4) for x in mix[c]),
            population=int(margins[c].sum()),
            margins=margins[c],
            grids=names.grid_names(community_names[c], int(n_grids[c])),
        )
        for c, (s, k) in enumerate(zip(street_index.tolist(), within.tolist(), strict=True))
    ]
    return Structure(street_list, communities, street_index, mix, margins)


def _margins(rng: np.random.Generator, population: np.ndarray, mix: np.ndarray) -> np.ndarray:
    """Integer adults per (age band × gender) cell, summing exactly to ``population``."""
    age = _AGE_BASE * (mix @ _AGE_TILT)
    age *= rng.gamma(60.0, 1 / 60.0, size=age.shape)
    age /= age.sum(axis=1, keepdims=True)
    female = np.clip(_FEMALE_SHARE + rng.normal(0, 0.015, size=age.shape), 0.4, 0.62)
    share = np.stack([age * (1 - female), age * female], axis=2).reshape(len(population), -1)
    exact = share * population[:, None]
    counts = np.floor(exact).astype(np.int64)
    deficit = population - counts.sum(axis=1)
    order = np.argsort(-(exact - counts), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(share.shape[1])[None, :], axis=1)
    counts += rank < deficit[:, None]
    return counts


def build_truth(
    rng: np.random.Generator,
    structure: Structure,
    layout: Layout,
    n_waves: int,
    *,
    drift_scale: float = 1.0,
    true_changes: dict[int, float] | None = None,
    action_effects: dict[int, tuple[str, int, float]] | None = None,
) -> Truth:
    """The known truth. ``drift_scale`` scales all random change between waves (1 = the default
    model, 0 = truth unchanged across waves); ``true_changes`` ``{community index: points}``
    adds a known change of the latent level in every later wave (recorded in ``changed`` /
    ``shift`` for wave 1; ``generate_district(drift=...)`` passes ``drift_scale``). The random
    draws do not depend on either, so the default is reproducible and ``drift=0`` keeps every
    other draw of the same seed.

    ``action_effects`` ``{community index: (sub-dimension code, from wave, latent points)}``
    raises the latent level of that sub-dimension's items by ``points`` from wave index
    ``from_wave`` on (an action completed between waves ``from_wave − 1`` and ``from_wave``);
    ``Truth.action_effect`` holds what that does to the expected sub-dimension score, which
    is what a difference-in-differences estimate recovers."""
    if not (np.isfinite(drift_scale) and drift_scale >= 0):
        raise ValueError(f"drift must be >= 0; got {drift_scale}")
    m = len(structure.communities)
    dims = layout.dim_codes
    n_dims, n_subs, n_items = len(dims), len(layout.subdim_codes), layout.n_items
    base = np.array([_DIM_BASE.get(d, 66.0) for d in dims])
    housing_dim = np.zeros((len(HOUSING_TYPES), n_dims))
    k = min(n_dims, _HOUSING_DIM.shape[1])
    housing_dim[:, :k] = _HOUSING_DIM[:, :k]
    n_streets = len(structure.streets)
    street = rng.normal(0, 4.0, n_streets)[:, None] + rng.normal(0, 2.0, (n_streets, n_dims))
    community = rng.normal(0, 5.0, (m, 1)) + rng.normal(0, 3.0, (m, n_dims))
    dim_level = (
        base + street[structure.street_index] + structure.housing_mix @ housing_dim + community
    )
    sub_level = (
        dim_level[:, layout.subdim_dim]
        + rng.normal(0, 3.0, n_subs)
        + rng.normal(0, 2.5, (m, n_subs))
    )
    item_housing = np.zeros((len(HOUSING_TYPES), n_items))
    for j, code in enumerate(layout.main_codes):
        if code in _HOUSING_ITEM:
            item_housing[:, j] = _HOUSING_ITEM[code]
    latent0 = (
        sub_level[:, layout.item_subdim]
        + rng.normal(0, 3.0, n_items)
        + rng.normal(0, 1.5, (m, n_items))
        + structure.housing_mix @ item_housing
    )
    # drift between waves: small noise for all, a real change of ±5–10 points for a few
    # (mostly improvements, but a community already near the top can only fall back)
    changed = np.zeros((n_waves, m), dtype=bool)
    shift = np.zeros((n_waves, m))
    drift = np.zeros((n_waves, m, n_dims))
    for w in range(1, n_waves):
        changed[w] = rng.random(m) < CHANGE_PROBABILITY
        level = latent0.mean(axis=1) + drift[w - 1].mean(axis=1)
        p_up = np.where(level > 75.0, 0.1, 0.7)
        sign = np.where(rng.random(m) < p_up, 1.0, -1.0)
        shift[w] = np.where(changed[w], sign * rng.uniform(5.0, 10.0, m), 0.0)
        step = rng.normal(0, 1.0, (m, n_dims)) + shift[w][:, None]
        step += np.where(changed[w][:, None], rng.normal(0, 1.5, (m, n_dims)), 0.0)
        drift[w] = drift[w - 1] + drift_scale * step
        changed[w] &= drift_scale > 0
        shift[w] *= drift_scale
    for c, points in (true_changes or {}).items():
        if n_waves > 1:
            drift[1:, c, :] += points
            changed[1, c] = changed[1, c] or points != 0
            shift[1, c] += points
    planted = _action_latent(action_effects or {}, layout, n_waves, m)
    base_latent = latent0[None] + drift[:, :, layout.item_dim]
    latent = np.clip(base_latent + planted, 2.0, 98.0)

    shares = structure.margins / structure.margins.sum(axis=1, keepdims=True)
    sampled = shares * np.repeat(RESPONSE_PROPENSITY, 2)
    sampled /= sampled.sum(axis=1, keepdims=True)
    item = _expected_items(latent, shares, layout)
    sub, dim_scores, index = _aggregate(item, layout)
    action_effect = None
    if action_effects:
        without = _expected_items(np.clip(base_latent, 2.0, 98.0), shares, layout)
        action_effect = sub - _aggregate(without, layout)[0]
    sample_index = _aggregate(_expected_items(latent, sampled, layout), layout)[2]
    osi = _expected_osi(latent, shares, layout)
    return Truth(
        item_codes=layout.main_codes,
        subdimension_codes=layout.subdim_codes,
        dimension_codes=dims,
        latent=latent,
        item=item,
        subdimension=sub,
        dimension=dim_scores,
        index=index,
        osi=osi,
        sample_index=sample_index,
        changed=changed,
        shift=shift,
        action_effect=action_effect,
    )


def _action_latent(
    effects: dict[int, tuple[str, int, float]], layout: Layout, n_waves: int, m: int
) -> np.ndarray:
    """(W, m, J) latent points the planted action effects add to each item."""
    out = np.zeros((n_waves, m, layout.n_items))
    for c, (code, from_wave, points) in effects.items():
        if not 0 <= c < m:
            raise ValueError(f"action_effects: no community index {c} (district has {m})")
        if code not in layout.subdim_codes:
            raise ValueError(f"action_effects: unknown sub-dimension {code!r}")
        if not 1 <= from_wave < n_waves:
            raise ValueError(f"action_effects: from_wave must be in 1..{n_waves - 1}")
        items = layout.item_subdim == layout.subdim_codes.index(code)
        out[from_wave:, c, items] += points
    return out


def cell_effect() -> np.ndarray:
    """Latent shift of each CELLS entry (age band × gender)."""
    return (AGE_EFFECT[:, None] + GENDER_EFFECT[None, :]).ravel()


def total_item_sd() -> float:
    return float(np.sqrt(SD_RESPONDENT**2 + SD_RESPONDENT_DIM**2 + SD_ITEM_NOISE**2))


def overall_sd(layout: Layout) -> float:
    """SD of the respondent part of the overall latent (mean over items of the item latents)."""
    dim_share = np.bincount(layout.item_dim, minlength=len(layout.dim_codes)) / layout.n_items
    return float(np.sqrt(SD_RESPONDENT**2 + SD_RESPONDENT_DIM**2 * np.sum(dim_share**2)))


def likert_cuts(points: int) -> np.ndarray:
    """Thresholds on the 0–100 latent between the ``points`` answer categories."""
    return (np.arange(1, points) - 0.5) * 100.0 / (points - 1)


def _expected_items(latent: np.ndarray, shares: np.ndarray, layout: Layout) -> np.ndarray:
    points = np.array([layout.likert_points[c] for c in layout.main_codes])
    out = np.empty(latent.shape)
    mu = latent[..., None] + cell_effect()  # (W, m, J, cells)
    for k in np.unique(points):
        cols = points == k
        z = (mu[:, :, cols, :, None] - likert_cuts(int(k))) / total_item_sd()
        expected = ndtr(z).sum(axis=-1) * 100.0 / (k - 1)  # E[(x − 1)/(k − 1)·100]
        out[:, :, cols] = np.einsum("wmjc,mc->wmj", expected, shares)
    return out


def _aggregate(item: np.ndarray, layout: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sub = _group_mean(item, layout.item_subdim, len(layout.subdim_codes))
    dim = _group_mean(sub, layout.subdim_dim, len(layout.dim_codes))
    return sub, dim, dim.mean(axis=-1)


def _group_mean(x: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    onehot = np.zeros((x.shape[-1], n))
    onehot[np.arange(x.shape[-1]), groups] = 1.0
    return np.asarray((x @ onehot) / onehot.sum(axis=0))


def _expected_osi(latent: np.ndarray, shares: np.ndarray, layout: Layout) -> np.ndarray:
    if not layout.outcome_codes:
        return np.full(latent.shape[:2], np.nan)
    overall = latent.mean(axis=-1)[..., None] + cell_effect()  # (W, m, cells)
    scores = []
    for code in layout.outcome_codes:
        low, high = layout.rating_range[code]
        span = high - low
        noise = SD_RATING_NOISE.get(code, DEFAULT_RATING_NOISE)
        sd = np.hypot(overall_sd(layout), noise) * span / 100.0
        mu = low + span * (overall + RATING_OFFSET.get(code, 0.0)) / 100.0
        steps = np.arange(low + 1, high + 1) - 0.5
        expected = low + ndtr((mu[..., None] - steps) / sd).sum(axis=-1)
        scores.append(((expected - low) / span * 100.0 * shares).sum(axis=-1))
    return np.mean(scores, axis=0)
