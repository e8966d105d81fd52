"""The synthetic district generator: structure, truth, response model and outputs."""

from __future__ import annotations

import csv
import re
import uuid

import numpy as np
import pytest
from scipy.stats import spearmanr

from survey.questionnaire.model import load_default
from survey.synthetic import (
    CHENGHUA_STREETS,
    QUALITY_LABELS,
    SyntheticDistrict,
    SyntheticWave,
    generate_district,
)

Q = load_default()
MAIN = [i.code for i in Q.main_items()]
REVERSE = np.array([i.reverse for i in Q.main_items()])
LIKERT = [i.code for i in Q.items if i.kind == "likert"]


@pytest.fixture(scope="module")
def district() -> SyntheticDistrict:
    return generate_district(seed=7, waves=("2025Q2", "2025Q4"))


@pytest.fixture(scope="module")
def wave(district: SyntheticDistrict) -> SyntheticWave:
    return district.waves[0]


def small(seed: int) -> SyntheticDistrict:
    return generate_district(
        seed=seed,
        n_streets=3,
        n_communities=12,
        waves=("2025Q2", "2025Q4"),
        respondents_per_community=40,
    )


def main_matrix(wave: SyntheticWave) -> np.ndarray:
    """Index answers as floats, reverse items scored back, don't-know and missing as NaN."""
    x = wave.numeric[:, [wave.codes.index(c) for c in MAIN]].astype(float)
    x[(x < 1) | (x > 5)] = np.nan
    x[:, REVERSE] = 6 - x[:, REVERSE]
    return x


def test_same_seed_gives_identical_arrays_and_another_seed_does_not() -> None:
    a, b, c = small(3), small(3), small(4)
    for wa, wb in zip(a.waves, b.waves, strict=True):
        for name in (
            "community_index",
            "numeric",
            "priorities",
            "durations_s",
            "submitted_at",
            "client_ids",
            "quality_label",
            "duplicate_of",
            "grid_index",
            "strata",
        ):
            np.testing.assert_array_equal(getattr(wa, name), getattr(wb, name), err_msg=name)
        assert wa.texts == wb.texts
    np.testing.assert_array_equal(a.truth.item, b.truth.item)
    np.testing.assert_array_equal(a.margins, b.margins)
    assert [x.name for x in a.communities] == [x.name for x in b.communities]
    assert not np.array_equal(a.truth.index, c.truth.index)
    assert set(a.waves[0].client_ids).isdisjoint(c.waves[0].client_ids)


def test_district_defaults_have_chenghua_streets_and_unique_communities(
    district: SyntheticDistrict,
) -> None:
    assert [s.name for s in district.streets] == list(CHENGHUA_STREETS)
    assert [s.code for s in district.streets] == [f"CH{k:02d}" for k in range(1, 12)]
    codes = [c.code for c in district.communities]
    names = [c.name for c in district.communities]
    assert len(codes) == 83 and len(set(codes)) == 83 and len(set(names)) == 83
    assert all(re.fullmatch(r"CH\d\d-\d{3}", code) for code in codes)
    assert all(c.code.startswith(c.street_code + "-") for c in district.communities)
    assert all(name.endswith("社区") for name in names)
    assert {c.street_code for c in district.communities} == {s.code for s in district.streets}


def test_margins_sum_to_population_and_sizes_span_an_order_of_magnitude(
    district: SyntheticDistrict,
) -> None:
    assert district.margins.shape == (83, 10)
    for k, community in enumerate(district.communities):
        assert community.margins.sum() == community.population
        np.testing.assert_array_equal(district.margins[k], community.margins)
        assert abs(sum(community.housing_mix) - 1) < 1e-3
    populations = district.populations
    assert (district.margins > 0).all()
    assert populations.max() / populations.min() >= 10


def test_about_180_respondents_per_community_per_wave(district: SyntheticDistrict) -> None:
    for wave in district.waves:
        counts = np.bincount(wave.community_index, minlength=83)
        assert counts.min() >= 162 and counts.max() <= 198
        assert 175 <= counts.mean() <= 185
        assert (np.diff(wave.community_index) >= 0).all()  # rows grouped by community


def test_answers_are_within_their_scales(wave: SyntheticWave) -> None:
    for code in wave.codes:
        item = Q.item(code)
        values = wave.column(code)
        if item.kind == "likert":
            assert set(np.unique(values)) <= {1, 2, 3, 4, 5, 9}, code
        elif item.kind == "rating":
            assert values.min() >= item.low and values.max() <= item.high, code
        else:
            allowed = set(range(1, len(item.options) + 1)) | ({-1} if not item.required else set())
            assert set(np.unique(values)) <= allowed, code
    dk_rate = {c: float((wave.column(c) == 9).mean()) for c in MAIN}
    assert np.mean([dk_rate[c] for c in MAIN if c[:2] in ("D4", "D5")]) > 2 * np.mean(
        [dk_rate[c] for c in MAIN if c.startswith("D6")]
    )
    assert all(0.005 < rate < 0.25 for rate in dk_rate.values())
    assert (wave.priorities.sum(axis=1) >= 1).all() and (wave.priorities.sum(axis=1) <= 3).all()


def test_reverse_keyed_items_run_against_their_siblings(wave: SyntheticWave) -> None:
    ok = wave.quality_label == "ok"
    for item in Q.main_items():
        if not item.reverse:
            continue
        sibling = next(
            s for s in Q.subdimension_items(item.subdimension or "") if s.code != item.code
        )
        a = wave.column(item.code)[ok].astype(float)
        b = wave.column(sibling.code)[ok].astype(float)
        answered = (a != 9) & (b != 9)
        r = np.corrcoef(a[answered], b[answered])[0, 1]
        assert r < -0.2, (item.code, r)


def test_quality_labels_and_straightliners(wave: SyntheticWave) -> None:
    labels, counts = np.unique(wave.quality_label, return_counts=True)
    share = dict(zip(labels.tolist(), (counts / len(wave)).tolist(), strict=True))
    assert set(share) == set(QUALITY_LABELS)
    assert 0.02 < share["speeder"] < 0.04
    assert 0.012 < share["straightliner"] < 0.03
    assert 0.005 < share["duplicate"] < 0.016
    likert = wave.numeric[:, [wave.codes.index(c) for c in LIKERT]]
    same = (likert == likert[:, :1]).all(axis=1)
    assert same[wave.quality_label == "straightliner"].all()
    assert same[wave.quality_label == "ok"].mean() < 0.001
    median = np.median(wave.durations_s)
    assert 7 * 60 < median < 11 * 60
    assert (wave.durations_s[wave.quality_label == "speeder"] < median / 3).mean() > 0.9
    assert (wave.durations_s[wave.quality_label == "ok"] < median / 3).mean() < 0.005


def test_duplicates_nearly_copy_a_same_community_response_minutes_later(
    wave: SyntheticWave,
) -> None:
    rows = np.flatnonzero(wave.quality_label == "duplicate")
    source = wave.duplicate_of[rows]
    assert (source >= 0).all() and (
        wave.duplicate_of[wave.quality_label != "duplicate"] == -1
    ).all()
    assert (wave.quality_label[source] != "duplicate").all()
    np.testing.assert_array_equal(wave.community_index[rows], wave.community_index[source])
    differing = (wave.numeric[rows] != wave.numeric[source]).sum(axis=1)
    assert differing.max() <= 2
    np.testing.assert_array_equal(wave.priorities[rows], wave.priorities[source])
    gap = (wave.submitted_at[rows] - wave.submitted_at[source]).astype(int)
    assert ((gap >= 0) & (gap <= 3600)).all()
    assert len(set(wave.client_ids[rows]) & set(wave.client_ids[source])) == 0


def test_older_residents_are_over_represented(district: SyntheticDistrict) -> None:
    wave = district.waves[0]
    age = wave.column("age_band") - 1
    sample = np.bincount(age, minlength=5) / len(age)
    population = district.margins.reshape(83, 5, 2).sum(axis=(0, 2)) / district.margins.sum()
    assert sample[3:].sum() > population[3:].sum() + 0.1
    assert sample[0] < population[0]
    np.testing.assert_array_equal(wave.strata // 2, age)
    np.testing.assert_array_equal(wave.strata % 2, wave.column("gender") - 1)


def test_unweighted_community_means_track_the_true_index(district: SyntheticDistrict) -> None:
    for w, wave in enumerate(district.waves):
        score = (main_matrix(wave) - 1) / 4 * 100
        per_row = np.nanmean(score, axis=1)
        sums = np.bincount(wave.community_index, weights=per_row, minlength=83)
        means = sums / np.bincount(wave.community_index, minlength=83)
        truth = district.truth.index[w]
        assert spearmanr(means, truth).statistic >= 0.9
        # older, happier residents answer more: the unweighted mean is biased upwards ...
        assert 0.5 < float(np.mean(means - truth)) < 4
        # ... by about what the truth model predicts for the sample's composition
        assert abs(float(np.mean(means - district.truth.sample_index[w]))) < 1.0


def test_truth_is_consistent_and_some_communities_change(district: SyntheticDistrict) -> None:
    truth = district.truth
    assert truth.item.shape == (2, 83, 36) and truth.dimension.shape == (2, 83, 6)
    np.testing.assert_allclose(truth.index, truth.dimension.mean(axis=2))
    np.testing.assert_allclose(truth.index, truth.item.mean(axis=2))  # equal weights, 2 items/sub
    assert ((truth.item > 0) & (truth.item < 100)).all()
    assert 3 < truth.index[0].std() < 12
    assert not truth.changed[0].any() and 3 <= truth.changed[1].sum() <= 25
    change = truth.index[1] - truth.index[0]
    assert np.abs(change[truth.changed[1]]).min() > 2.5
    assert np.abs(change[~truth.changed[1]]).max() < 3
    assert 40 < truth.osi.mean() < 90
    one = truth.as_dict(0, 0)
    assert set(one["dimensions"]) == {"D1", "D2", "D3", "D4", "D5", "D6"}


def test_priorities_prefer_the_weakest_subdimensions(district: SyntheticDistrict) -> None:
    wave = district.waves[0]
    weakest = district.truth.subdimension[0].argmin(axis=1)[wave.community_index]
    chose_weakest = wave.priorities[np.arange(len(wave)), weakest].mean()
    assert chose_weakest > 2 * wave.priorities.mean()


def test_answers_dict_validates_and_matches_the_columns(wave: SyntheticWave) -> None:
    rows = np.random.default_rng(0).choice(len(wave), 300, replace=False)
    rows = np.concatenate([rows, np.flatnonzero(wave.quality_label != "ok")[:60]])
    texts = 0
    for row in rows.tolist():
        answers = wave.answers_dict(row)
        assert Q.validate_answers(answers) == answers
        for code in wave.codes:
            value = int(wave.column(code)[row])
            if value < 0:
                assert code not in answers
            elif Q.item(code).kind == "single_choice":
                assert Q.option_index(code, answers[code]) == value
            else:
                assert answers[code] == value
        assert answers["P1"] == [
            c for c, on in zip(wave.priority_codes, wave.priorities[row], strict=True) if on
        ]
        texts += "P2" in answers
    assert 0 < texts < len(rows) / 3
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in wave.texts.values())


def test_times_and_client_ids(wave: SyntheticWave) -> None:
    start, end = wave.window
    assert (wave.submitted_at >= start).all() and (wave.submitted_at < end).all()
    assert (wave.started_at < wave.submitted_at).all()
    assert len(set(wave.client_ids)) == len(wave)
    assert all(uuid.UUID(c).version == 4 for c in wave.client_ids[:50])
    assert str(start) == "2025-04-14T16:00:00"  # 15 April 00:00 Beijing time, in UTC


def test_to_csv_writes_the_paper_import_format(tmp_path, wave: SyntheticWave) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "wave.csv"
    wave.to_csv(path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(wave)
    assert list(rows[0])[:5] == ["wave", "community", "client_id", "started_at", "submitted_at"]
    assert list(rows[0])[5:] == [i.code for i in Q.items]
    for row in [0, 1, len(wave) - 1, *list(wave.texts)[:3]]:
        record, answers = rows[row], wave.answers_dict(row)
        assert record["wave"] == wave.code and record["client_id"] == wave.client_ids[row]
        assert record["community"] == wave.communities[wave.community_index[row]].code
        assert record["submitted_at"].endswith("Z")
        assert record["P1"].split() == answers["P1"]
        for code in [i.code for i in Q.items if i.code != "P1"]:
            assert record[code] == str(answers.get(code, "")), code


def test_planted_action_effects_move_only_their_sub_dimension_from_their_wave() -> None:
    from survey.synthetic import generate_district

    common = dict(seed=9, n_streets=2, n_communities=6, respondents_per_community=400, drift=0.0)
    plain = generate_district(**common)  # type: ignore[arg-type]
    planted = generate_district(**common, action_effects={1: ("D6b", 1, 10.0)})  # type: ignore[arg-type]
    truth = planted.truth
    s = truth.subdimension_codes.index("D6b")
    assert plain.truth.action_effect is None and truth.action_effect is not None
    effect = truth.action_effect
    assert effect[0].max() == 0.0 and np.all(effect[1:, 1, s] > 5.0)
    mask = np.ones(effect.shape, dtype=bool)
    mask[1:, 1, s] = False
    assert np.all(effect[mask] == 0.0)
    # every other draw is the same as without the action
    assert np.allclose(truth.subdimension[mask], plain.truth.subdimension[mask])
    assert np.allclose(truth.subdimension - plain.truth.subdimension, effect)
    # the respondents see it: their mean D6b score of community 1 rises by about the truth
    from scoring.effects import respondent_subscores

    def mean_d6b(district: SyntheticDistrict, w: int) -> float:
        wave = district.waves[w]
        layout = wave.layout
        cols = [layout.column[c] for c in layout.main_codes]
        points = [layout.likert_points[c] for c in layout.main_codes]
        subs = respondent_subscores(
            wave.numeric[:, cols],
            points,
            layout.reverse,
            layout.item_subdim,
            len(layout.subdim_codes),
        )
        return float(np.nanmean(subs[wave.community_index == 1, s]))

    moved = mean_d6b(planted, 1) - mean_d6b(plain, 1)
    assert abs(moved - effect[1, 1, s]) < 3.0
    for bad, match in (
        ({9: ("D6b", 1, 1.0)}, "community index"),
        ({0: ("ZZ", 1, 1.0)}, "sub-dimension"),
        ({0: ("D6b", 0, 1.0)}, "from_wave"),
    ):
        with pytest.raises(ValueError, match=match):
            generate_district(**common, action_effects=bad)  # type: ignore[arg-type]
