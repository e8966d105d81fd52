"""Chinese place names and free-text snippets for synthetic districts.

Chenghua's eleven real street names come first; further streets (city scale) and every community
name are built from syllable pools, unique within the district.
"""

from __future__ import annotations

import numpy as np


def _pool(words: str) -> tuple[str, ...]:
    return tuple(words.split())


CHENGHUA_STREETS = (
    "猛追湾街道",
    "双桥子街道",
    "府青路街道",
    "二仙桥街道",
    "跳蹬河街道",
    "万年场街道",
    "保和街道",
    "龙潭街道",
    "白莲池街道",
    "青龙街道",
    "双水碾街道",
)

_FIRST = _pool(
    "建设 东风 和美 双林 八里 杉板 桃溪 望平 锦绣 新鸿 培华 龙井 秀苑 玉双 建华 槐树 圣灯 "
    "李家 天鹅 东虹 崔家 驷马 荆竹 猛追 跳蹬 万科 华林 石岭 蜀龙 红枫 金马 致强 多宝 踏水 "
    "沙河 水碾 青龙 保和 泉水 五桂 新华 府河 玉林 东林 昭觉 北湖 龙湾 长融 翡翠 东篱 和平 "
    "新桥 曹家 高车 银杏 民兴 双福 梧桐 太平 桂苑"
)
_SECOND = _pool("路 桥 湾 苑 里 坝 街 园 林 村 坊 巷 寺 店 塘 院")
_PREFIX = _pool("东 西 南 北 新 老 上 下 前 后")
_STREET_SECOND = _pool("路 桥 湾 坝 场 镇 河 林 街 寺")

TEXTS: dict[str, tuple[str, ...]] = {
    "D1": ("希望社区干部多下来走走，听听老百姓的意见", "网格员能不能公布一下联系电话"),
    "D2": ("附近没有菜市场，买菜要走很远", "希望增加一条公交线路", "办个证明要跑好几趟，太麻烦"),
    "D3": (
        "老人吃饭问题希望能解决，助餐点太少",
        "小孩放学后没人接，希望有四点半课堂",
        "社区医院看病排队太久",
    ),
    "D4": ("独居老人需要有人定期上门看看", "希望多一些就业培训的机会"),
    "D5": ("物业收费高但服务差，维修不及时", "业委会账目不公开", "希望多开坝坝会，大家一起商量"),
    "D6": (
        "小区停车太难了，晚上回来没有车位",
        "老旧小区希望加装电梯",
        "垃圾分类点气味大，希望改进",
        "晚上路灯太暗，走路不安全",
    ),
}
GENERIC_TEXTS = ("总体还不错，希望继续保持", "无", "希望社区越来越好")


def street_names(n: int, rng: np.random.Generator) -> list[str]:
    """Chenghua's streets first, then unique generated names such as ``桃溪路街道``."""
    names = list(CHENGHUA_STREETS[:n])
    seen = set(names)
    capacity = len(_FIRST) * len(_STREET_SECOND)
    while len(names) < n:
        name = _pick(rng, _FIRST) + _pick(rng, _STREET_SECOND)
        if len(seen) > capacity // 2:  # beyond a city: number them so the loop ends
            name += str(len(names))
        name += "街道"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def community_names(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` unique community names such as ``双林路社区`` or ``东杉板桥社区``."""
    names: list[str] = []
    seen: set[str] = set()
    simple_capacity = len(_FIRST) * len(_SECOND)
    while len(names) < n:
        stem = _pick(rng, _FIRST) + _pick(rng, _SECOND)
        if len(seen) >= simple_capacity // 2 or rng.random() < 0.15:
            stem = _pick(rng, _PREFIX) + stem
        if len(seen) >= simple_capacity * len(_PREFIX) // 2:  # beyond a city: number them
            stem += str(len(names))
        name = stem + "社区"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def grid_names(community_name: str, n: int) -> tuple[str, ...]:
    """The community's grids/compounds, e.g. ``双林路社区第3网格``."""
    return tuple(f"{community_name}第{k}网格" for k in range(1, n + 1))


def _pick(rng: np.random.Generator, pool: tuple[str, ...]) -> str:
    return pool[int(rng.integers(len(pool)))]
