"""Residents' comments → space-separated tokens for the theme model (``scoring.themes``).

Segmentation uses jieba (the maintained Chinese tokenizer the redaction already uses) with a
domain dictionary shipped as data (``survey/data/theme_dictionary.txt``: 停车, 加装电梯, 物业,
噪音, 垃圾分类 …), so that the compounds residents write about stay one word. A private
``jieba.Tokenizer`` holds the dictionary: the global one, which the redaction's name tagger uses,
is left untouched. Stop words (``theme_stopwords.txt``), punctuation, digits, single characters
and the redaction mask are dropped: what is left is what a theme can be made of.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

from api.services.domain_dictionary import STOPWORDS_PATH, data_lines, domain_entries
from api.services.redaction import MASK

_WORD = re.compile(r"^[\u4e00-\u9fffA-Za-z]+$")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(data_lines(STOPWORDS_PATH))


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for word, frequency in domain_entries():
        tokenizer.add_word(word, frequency)
    return tokenizer


def tokens(text: str) -> list[str]:
    """The theme-bearing words of one (already redacted) comment, in order."""
    stop = stopwords()
    out = []
    for part in text.split(MASK):
        for word in _tokenizer().lcut_for_search(part):
            word = word.strip()
            if len(word) >= 2 and _WORD.match(word) and word not in stop:
                out.append(word)
    return out


def segment(texts: list[str]) -> list[str]:
    """Each comment as the space-separated token string ``scoring.themes`` takes."""
    return [" ".join(tokens(t)) for t in texts]
