"""Chinese typography (issue 13, point 6): no half-width ``: , ! ? ;`` or parentheses next to a
Chinese character in the templates or in any message catalog, and on the officials' rendered
pages none either, with real minus signs (never "Δ -4.4") and ranges of negative numbers
written "−6.4 至 −2.4"."""

from __future__ import annotations

import importlib
import pkgutil
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import api
from api.officials.views import interval, signed
from api.web.templating import TEMPLATES_DIR
from survey.questionnaire.model import load_default
from tests.support.officials_district import LAST, sign_in

CJK = "[\u3400-\u9fff\uf900-\ufaff]"
HALF = "[:,!?;()]"
NEXT_TO_CJK = re.compile(f"{CJK}{HALF}|{HALF}{CJK}")
JINJA_OR_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<[^>]*>", re.S)
HYPHEN_MINUS = re.compile(r"(?:^|[\s(（Δ])-\d")  # "-4.4" where a minus sign belongs


def problems(text: str) -> list[str]:
    return [text[max(0, m.start() - 8) : m.end() + 8] for m in NEXT_TO_CJK.finditer(text)]


def test_the_rule_catches_what_it_should() -> None:
    assert problems("尊敬的居民:您好!") and problems("第 1 页,共 9 页") and problems("(选填)")
    assert problems("Community:老东虹园社区")
    assert not problems("尊敬的居民：您好！") and not problems("Page 1 of 9, (optional)")
    assert not problems("综合指数 (63.5–65.0)")  # a number in brackets after a space is fine


def template_text(path: Path) -> str:
    # What a reader sees of the template's own words: Jinja expressions and tags left out
    # (a tag's attribute holds no prose; expressions come from the catalogs, checked below).
    return JINJA_OR_TAG.sub(" ", path.read_text(encoding="utf-8"))


TEMPLATES = sorted(TEMPLATES_DIR.rglob("*.html"))


def test_there_are_templates_to_check() -> None:
    assert len(TEMPLATES) >= 20


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES_DIR)))
def test_templates_use_full_width_punctuation_in_chinese(path: Path) -> None:
    found = []
    for number, line in enumerate(template_text(path).splitlines(), 1):
        found += [f"{number}: {p!r}" for p in problems(line)]
    assert not found, found


def catalogs() -> dict[str, list[str]]:
    """Every module-level table of wordings in ``api``: ``key → (中文, English)`` (or a pair of
    such pairs), found by shape, so a new catalog is checked without being listed here."""
    found: dict[str, list[str]] = {}
    for info in pkgutil.walk_packages(api.__path__, "api."):
        if info.name.startswith(("api.cli", "api.__main__")):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if not isinstance(value, dict) or not value or name.startswith("_"):
                continue
            firsts = [zh for entry in value.values() for zh in _chinese_of(entry)]
            chinese = [zh for zh in firsts if re.search(CJK, zh)]
            if firsts and 2 * len(chinese) >= len(value):  # mostly Chinese first: a catalog
                found[f"{info.name}.{name}"] = chinese
    return found


def _chinese_of(entry: object) -> list[str]:
    if isinstance(entry, tuple) and len(entry) == 2 and all(isinstance(s, str) for s in entry):
        return [entry[0]]
    if isinstance(entry, tuple) and all(isinstance(e, tuple) for e in entry):
        return [zh for e in entry for zh in _chinese_of(e)]
    return []


def test_every_message_catalog_uses_full_width_punctuation_in_chinese() -> None:
    tables = catalogs()
    for expected in (
        "api.web.messages.CATALOG",
        "api.officials.text.OFFICIAL_TEXT",
        "api.web.i18n.TEXT",
        "api.web.error_pages.ERROR_TEXT",
    ):
        assert expected in tables, sorted(tables)
    found = {name: [p for zh in words for p in problems(zh)] for name, words in tables.items()}
    assert not {k: v for k, v in found.items() if v}, found


def test_minus_signs_and_negative_ranges() -> None:
    assert signed(-4.4) == "\u22124.4" and signed(2.0) == "+2.0"
    assert interval(-6.4, -2.4) == "\u22126.4 至 \u22122.4"
    assert interval(-6.4, -2.4, "en") == "\u22126.4 to \u22122.4"
    assert interval(-1.0, 2.5) == "\u22121.0 至 2.5"
    assert interval(63.5, 65.0) == "63.5–65.0"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_residents_form_reads_cleanly(officials_client: TestClient, lang: str) -> None:
    from survey.storage.access import open_link_token
    from tests.support.officials_district import WAVES

    settings = officials_client.app.state.settings  # type: ignore[attr-defined]
    seen = []
    for wave in WAVES:
        token = open_link_token(
            secret=settings.secret_key, wave_code=wave, community_code="CH02-001"
        )
        response = officials_client.get(f"/s/{token}?lang={lang}")
        assert response.status_code in (200, 409, 410), response.text[:200]  # open, ended
        seen.append(response.status_code)
        text = visible_text(response.text)
        for words in questionnaire_wordings():
            text = text.replace(words, " ")
        shown = [p for p in problems(text) if re.search(f"{CJK}[:,!?;]|[:,!?;]{CJK}", p)]
        assert not shown, (wave, shown)
    assert 200 in seen, seen  # the form itself was among them


def questionnaire_wordings() -> list[str]:
    """The shipped questionnaire's Chinese texts, longest first (item labels and the like)."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("zh"), str):
                found.append(value["zh"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(load_default().model_dump(mode="json"))
    return sorted(set(found), key=len, reverse=True)


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._skip += tag in ("script", "style", "title", "svg")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style", "title", "svg")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


@pytest.mark.parametrize(
    "url",
    [
        f"/waves/{LAST}",
        f"/waves/{LAST}/communities/CH02-001",
        f"/waves/{LAST}/communities/CH02-003",
        f"/waves/{LAST}/streets/CH01",
        "/trends",
        "/login",
    ],
)
def test_rendered_officials_pages_read_as_chinese(officials_client: TestClient, url: str) -> None:
    client = sign_in(officials_client, "admin") if url != "/login" else officials_client
    response = client.get(url + "?lang=zh")
    assert response.status_code == 200
    text = visible_text(response.text)
    for words in questionnaire_wordings():  # its own fix is a new questionnaire version
        text = text.replace(words, " ")
    # The rule on what is shown: no half-width : , ! ? ; next to a Chinese character
    # (brackets around a number or code, "综合指数 (63.5–65.0)", are left to the templates).
    shown = [p for p in problems(text) if re.search(f"{CJK}[:,!?;]|[:,!?;]{CJK}", p)]
    assert not shown, shown
    assert not HYPHEN_MINUS.findall(text), [
        text[max(0, m.start() - 10) : m.end() + 10] for m in HYPHEN_MINUS.finditer(text)
    ]
