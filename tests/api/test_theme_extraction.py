"""Theme extraction on a Chinese corpus written here (issue 14, "Done means" bullet 3).

Six planted themes, each phrased many ways (different openings, subjects, complaints and
wishes, sometimes with a name or phone number that the redaction masks), plus noise comments
that name no theme ("无", "挺好的"). The pipeline is the production one: redact → jieba with the
domain dictionary → TF-IDF + NMF. Each planted theme must be found (one fitted theme holds the
majority of its comments) and ≥ 80 % of its comments assigned to that theme.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from api.services.domain_dictionary import domain_words
from api.services.redaction import redact
from api.services.theme_text import segment, tokens
from scoring.errors import ScoringError
from scoring.themes import NO_THEME, apply_themes, fit_themes, theme_counts

OPENINGS = ("", "希望", "建议", "强烈建议", "麻烦社区", "说实话,", "我觉得", "请问能不能")
ENDINGS = ("", "。", ",谢谢!", ",拜托了", "!", ",大家都有意见")

# theme → (subjects, complaints): a comment is opening + subject + complaint + ending
PLANTED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "parking": (
        ("停车", "车位", "停车位", "小区停车", "晚上停车"),
        ("太难了", "严重不够", "被外来车辆占满", "收费太贵", "乱停乱放没人管", "找不到地方"),
    ),
    "lift": (
        ("加装电梯", "电梯加装", "老楼加装电梯", "楼栋电梯"),
        ("进度太慢", "一直没有动静", "老人爬楼太辛苦", "协调不下来", "尽快推进", "补贴申请难"),
    ),
    "property": (
        ("物业", "物业公司", "物业服务", "物业人员"),
        ("不作为", "态度很差", "收费不透明", "维修不及时", "换一家", "管理混乱"),
    ),
    "noise": (
        ("噪音", "广场舞噪音", "夜间施工噪音", "楼下噪音"),
        ("扰民严重", "晚上睡不着", "太吵了", "影响休息", "声音太大", "没人管"),
    ),
    "waste": (
        ("垃圾分类", "垃圾桶", "垃圾清运", "垃圾站"),
        ("不及时", "味道很大", "没人指导", "太脏了", "满了溢出来", "分类形同虚设"),
    ),
    "elderly": (
        ("养老", "老年食堂", "老年人助餐", "养老服务", "社区养老"),
        ("太少了", "增加助餐点", "价格太高", "老人吃饭不方便", "服务跟不上", "需要日间照料"),
    ),
}
NOISE = ("无", "没有", "挺好的", "暂无意见", "都还可以", "没什么", "满意", "还行吧,继续保持")
PERSONAL = ("王阿姨说", "联系13812345678,", "李师傅反映", "")


def corpus(seed: int, per_theme: int = 36, noise: int = 24) -> tuple[list[str], list[str]]:
    """Comments and their planted theme ("" for noise), shuffled."""
    rng = random.Random(seed)
    rows: list[tuple[str, str]] = []
    for theme, (subjects, complaints) in PLANTED.items():
        for _ in range(per_theme):
            text = (
                rng.choice(PERSONAL if rng.random() < 0.15 else ("",))
                + rng.choice(OPENINGS)
                + rng.choice(subjects)
                + rng.choice(complaints)
                + rng.choice(ENDINGS)
            )
            rows.append((text, theme))
    rows += [(rng.choice(NOISE), "") for _ in range(noise)]
    rng.shuffle(rows)
    return [t for t, _ in rows], [k for _, k in rows]


def recovered(truth: list[str], assignment: np.ndarray) -> dict[str, tuple[int, float]]:
    """Planted theme → (the fitted theme holding most of its comments, share assigned to it)."""
    out = {}
    for theme in PLANTED:
        rows = [i for i, k in enumerate(truth) if k == theme]
        got = assignment[rows]
        values, counts = np.unique(got[got != NO_THEME], return_counts=True)
        best = int(values[counts.argmax()]) if len(values) else NO_THEME
        out[theme] = (best, float(np.mean(got == best)))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_planted_theme_is_found_with_80_percent_of_its_comments(seed: int) -> None:
    texts, truth = corpus(seed)
    assert len(texts) >= 200
    fit = fit_themes(segment([redact(t) for t in texts]), n_themes=len(PLANTED))
    found = recovered(truth, fit.assignment)
    # six different fitted themes, one per planted theme
    assert len({best for best, _ in found.values()}) == len(PLANTED), found
    for theme, (best, share) in found.items():
        assert best != NO_THEME
        assert share >= 0.80, (theme, share, fit.top_terms[best])


def test_noise_comments_get_no_theme_and_dictionary_words_stay_whole() -> None:
    texts, truth = corpus(5)
    fit = fit_themes(segment(texts), n_themes=len(PLANTED))
    noise = [i for i, k in enumerate(truth) if k == ""]
    assert np.mean(fit.assignment[noise] == NO_THEME) >= 0.9
    assert "加装电梯" in tokens("希望老楼加装电梯")
    assert "垃圾分类" in tokens("垃圾分类没人指导")
    assert {
        "停车",
        "加装电梯",
        "物业",
        "噪音",
        "垃圾分类",
        "绿化",
        "健身器材",
        "养老",
        "托幼",
        "路灯",
    } <= set(domain_words())


def test_a_frozen_model_assigns_another_wave_s_comments_to_the_same_themes() -> None:
    texts, truth = corpus(7)
    fit = fit_themes(segment(texts), n_themes=len(PLANTED))
    mapping = {theme: best for theme, (best, _s) in recovered(truth, fit.assignment).items()}
    later, later_truth = corpus(8)
    assigned = apply_themes(fit.to_dict(), segment(later))
    for theme, best in mapping.items():
        rows = [i for i, k in enumerate(later_truth) if k == theme]
        assert np.mean(assigned[rows] == best) >= 0.8, theme


def test_fitting_is_deterministic_and_counts_add_up() -> None:
    texts, _ = corpus(4)
    docs = segment(texts)
    a, b = fit_themes(docs, 6), fit_themes(docs, 6)
    assert np.array_equal(a.assignment, b.assignment)
    assert np.allclose(a.components, b.components)
    counts = theme_counts(a.assignment, 6)
    assert counts.sum() == int(np.sum(a.assignment != NO_THEME))


def test_bad_input_names_the_problem() -> None:
    with pytest.raises(ScoringError, match="n_themes"):
        fit_themes(["停车 难", "停车 贵"], 0)
    with pytest.raises(ScoringError, match="no term occurs"):
        fit_themes(["停车", "电梯"], 1, min_df=2)
    with pytest.raises(ScoringError, match="distinct terms"):
        fit_themes(["停车 难", "停车 难"], 5)
    with pytest.raises(ScoringError, match="not a theme model"):
        apply_themes({"idf": []}, ["停车"])


def test_the_redaction_keeps_domain_words_it_used_to_take_for_names() -> None:
    # jieba's tagger reads 养老 in "能不能养老" as a person's name (nr)
    assert redact("请问能不能养老太少了") == "请问能不能养老太少了"
    assert "[已隐去]" in redact("王阿姨说13812345678打不通")
