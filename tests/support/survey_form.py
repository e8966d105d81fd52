"""Driving the residents' form like a browser with JavaScript off: read the page, post it back.

The pages are parsed with the standard library's HTML parser (hidden fields, which options are
checked, the error summary), so the tests see what a resident's browser would submit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from survey.questionnaire import paging
from survey.questionnaire.model import Questionnaire, load_default
from survey.storage.access import open_link_token
from survey.storage.models import Draft, Response

SECRET = "test-secret"  # tests/api/conftest.py's settings


@dataclass
class FormPage:
    """What one rendered form page holds."""

    status: int
    html: str
    url: str
    hidden: dict[str, str] = field(default_factory=dict)
    checked: dict[str, list[str]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    action: str = ""

    @property
    def page(self) -> int:
        return int(self.hidden["page"])

    @property
    def client_id(self) -> str:
        return self.hidden["client_id"]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.checked: dict[str, list[str]] = {}
        self.texts: dict[str, str] = {}
        self.action = ""
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == "survey-form":
            self.action = a.get("action", "")
        if tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") in ("radio", "checkbox") and "checked" in a:
            self.checked.setdefault(a["name"], []).append(a["value"])
        elif tag == "input" and a.get("type") == "text" and a.get("name"):
            self.texts[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.texts[a["name"]] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.texts[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None


def read(response: httpx.Response) -> FormPage:
    reader = _Reader()
    reader.feed(response.text)
    return FormPage(
        response.status_code,
        response.text,
        str(response.url),
        reader.hidden,
        reader.checked,
        reader.texts,
        reader.action,
    )


def open_path(wave: str = "W1", community: str = "C1", secret: str = SECRET) -> str:
    return f"/s/{open_link_token(secret=secret, wave_code=wave, community_code=community)}"


def page_data(q: Questionnaire, index: int, answers: dict[str, Any]) -> dict[str, Any]:
    """The form fields a resident sends for page ``index`` (answers as HTML sends them: text)."""
    data: dict[str, Any] = {}
    for code in paging.page_codes(q, index):
        if code in answers:
            value = answers[code]
            data[code] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return data


def post_page(
    client: TestClient,
    form: FormPage,
    answers: dict[str, Any],
    action: str = "next",
    q: Questionnaire | None = None,
    **extra: Any,
) -> FormPage:
    q = q or load_default()
    data = {**form.hidden, **page_data(q, form.page, answers), "action": action, **extra}
    return read(client.post(form.action, data=data))


def fill_until(
    client: TestClient, path: str, answers: dict[str, Any], pages: int | None = None
) -> FormPage:
    """Open ``path`` and answer page after page (all of them, submitting, unless ``pages``)."""
    q = load_default()
    form = read(client.get(path))
    n = len(paging.page_sections(q))
    for _ in range(n if pages is None else pages):
        last = paging.next_page(q, form.page, answers) is None
        form = post_page(client, form, answers, "submit" if last else "next")
        if form.status != 200 or "提交成功" in form.html:
            break
    return form


def count(engine: Engine, model: type = Response) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def responses(engine: Engine) -> list[Response]:
    with Session(engine) as session:
        return list(session.exec(select(Response).order_by(col(Response.id))).all())


def draft_of(engine: Engine, client_id: str) -> Draft | None:
    with Session(engine) as session:
        return session.exec(select(Draft).where(Draft.client_id == client_id)).first()


def error_links(html: str) -> list[str]:
    """The targets of the error summary's links, in order."""
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return re.findall(r'href="#([^"]+)"', summary.group(0)) if summary else []
