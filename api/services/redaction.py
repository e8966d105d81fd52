"""Residents' free text made safe to show: personal details replaced by ``[已隐去]``.

One module for every official page and export that shows a comment (and later features such
as themes). Patterns catch what has a shape (phone and ID-card numbers, e-mail addresses,
licence plates, room/unit addresses, surname + 阿姨/师傅/书记…); jieba's part-of-speech tagger
(``nr`` = person name) catches names that have none. Order matters: numbers first, so a phone
number inside an address is never half-kept. The raw text stays in the database for researchers.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

from api.services.domain_dictionary import domain_words

MASK = "[已隐去]"

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤"
)
_TITLES = "阿姨|叔叔|大爷|大妈|大姐|大哥|师傅|老师|书记|主任|经理|医生|奶奶|爷爷|婆婆|姐|哥|总|工"

PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),  # e-mail
    re.compile(r"(?<!\d)\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[\dXx](?!\d)"),  # ID
    re.compile(r"(?<!\d)\d{15}(?!\d)"),  # old 15-digit ID
    re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)"),  # mobile
    re.compile(r"(?<!\d)0\d{2,3}[-\s]?\d{7,8}(?!\d)"),  # landline
    re.compile(
        r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
        r"\s?[A-HJ-NP-Z][·\s]?[A-HJ-NP-Z0-9]{5,6}"
    ),  # licence plate
    re.compile(
        r"\d+\s*(?:号楼|栋|幢|座|号院)\s*(?:\d+\s*(?:单元|门))?\s*(?:\d+\s*(?:楼|层))?"
        r"\s*\d*\s*(?:号|室|户)?|\d+\s*单元\s*\d+\s*(?:室|号)?|\d{3,4}\s*(?:室|号房)"
    ),  # room / unit
    re.compile(rf"[{_SURNAMES}](?:{_TITLES})"),  # 张阿姨, 李书记
    re.compile(rf"(?:老|小)[{_SURNAMES}]"),  # 老王, 小李
)


@lru_cache(maxsize=1)
def _tagger() -> Any:
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba.posseg


def _names(text: str) -> str:
    out = []
    keep = domain_words()
    for word, flag in _tagger().cut(text):
        # A one-character "name" is usually a surname before a title, caught above, or noise.
        masked = flag == "nr" and len(word) >= 2 and word != MASK and word not in keep
        out.append(MASK if masked else word)
    return "".join(out)


def redact(text: str) -> str:
    """``text`` with phone, ID-card, e-mail, plate, room/unit and person names masked."""
    for pattern in PATTERNS:
        text = pattern.sub(MASK, text)
    parts = text.split(MASK)  # the tagger never sees (or splits) a mask
    return MASK.join(_names(part) if part else part for part in parts)
