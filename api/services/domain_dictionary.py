"""The domain dictionary of residents' comments (``survey/data/theme_dictionary.txt``).

Words such as 停车, 加装电梯, 物业, 养老 that residents write about. The theme tokenizer keeps
them whole; the redaction never masks one of them as a person's name (jieba's tagger takes 养老
in "能不能养老" for a name).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "survey" / "data"
DICTIONARY_PATH = DATA / "theme_dictionary.txt"
STOPWORDS_PATH = DATA / "theme_stopwords.txt"


def data_lines(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a shipped word list."""
    return [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


@lru_cache(maxsize=1)
def domain_entries() -> tuple[tuple[str, int | None], ...]:
    """``(word, frequency or None)`` in file order."""
    out = []
    for line in data_lines(DICTIONARY_PATH):
        word, *rest = line.split()
        out.append((word, int(rest[0]) if rest else None))
    return tuple(out)


@lru_cache(maxsize=1)
def domain_words() -> frozenset[str]:
    return frozenset(word for word, _f in domain_entries())
