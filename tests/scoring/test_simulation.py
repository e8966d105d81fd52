"""Small seeded simulation of the issue-12 statistics (the full study is ``python -m bench S1``)."""

from bench.s1_statistics import generator_null_check, simulate_means, simulate_survey


def test_community_level_simulation():
    s = simulate_means(reps=400, seed=3)
    assert s["null_any_false_label"] <= 0.12
    assert s["fdr"] <= 0.12
    assert 0.85 <= s["coverage_direct"] <= 0.95
    assert 0.85 <= s["coverage_fh"] <= 0.95
    assert s["rmse_fh"] <= s["rmse_direct"]
    assert s["rank_set_coverage"] >= 0.9


def test_survey_generator_simulation_runs_and_is_sane():
    s = simulate_survey(reps=3, seed=2)
    assert 0.8 <= s["coverage_direct"] <= 1.0 and 0.8 <= s["coverage_fh"] <= 1.0
    assert s["power"] > 0.2 and s["rank_set_coverage"] >= 0.9


def test_generator_null_is_a_null():
    # drift=0 must be a real null: t-statistics of the unflagged respondents' community means
    # against Truth.sample_index are near N(0, 1) (t-effect of n ≈ 36 allowed), no heavy tail
    s = generator_null_check(districts=2)
    assert s["communities"] == 2 * 2 * 83
    assert 0.93 <= s["sd"] <= 1.12
    assert abs(s["excess_kurtosis"]) < 0.6
    assert s["beyond_3.3"] < 0.01
