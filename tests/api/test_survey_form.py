"""The residents' form with JavaScript off: page by page, validation, resume, retries, language."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.web.i18n import TEXT
from survey.questionnaire import paging
from survey.questionnaire.model import load_default
from survey.storage.models import Draft, QuestionnaireRecord, Wave
from tests.support.factories import complete_answers
from tests.support.survey_form import (
    count,
    draft_of,
    error_links,
    fill_until,
    open_path,
    post_page,
    read,
    responses,
)

REPO = Path(__file__).resolve().parents[2]


def engine_of(client: TestClient) -> Any:
    return client.app.state.engine  # type: ignore[attr-defined]


def test_a_resident_answers_every_page_and_sees_success(client: TestClient) -> None:
    answers = complete_answers()
    q = load_default()
    form = read(client.get(open_path()))
    assert form.status == 200 and form.page == 0
    seen_pages = []
    while "提交成功" not in form.html:
        seen_pages.append(form.page)
        assert f"第 {form.page + 1} 页，共 {len(paging.page_sections(q))} 页" in form.html
        last = paging.next_page(q, form.page, answers) is None
        form = post_page(client, form, answers, "submit" if last else "next")
        assert form.status == 200, form.html[:2000]
    assert seen_pages == list(range(len(paging.page_sections(q))))
    [row] = responses(engine_of(client))
    assert row.answers == answers and row.channel == "web"
    with Session(engine_of(client)) as session:
        wave = session.exec(select(Wave).where(Wave.code == "W1")).one()
        record = session.get(QuestionnaireRecord, wave.questionnaire_id)
    assert record is not None and row.questionnaire_id == record.id
    assert record.version == q.version
    # The duration is measured from when the form was first served, on the server.
    draft = draft_of(engine_of(client), row.client_id)
    assert draft is not None and row.started_at is not None
    assert row.started_at.replace(tzinfo=None) == draft.started_at.replace(tzinfo=None)
    # No address of the resident's device is stored anywhere with the response or the draft.
    assert "testclient" not in repr(row.model_dump()) + repr(draft.model_dump())


def test_pages_are_accessible_offline_and_strict(client: TestClient) -> None:
    response = client.get(open_path())
    html, csp = response.text, response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["cache-control"] == "no-store"
    assert '<html lang="zh-CN">' in html and 'name="viewport"' in html
    # Same-origin resources only: no CDN, no external font, no inline script or style.
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "#", "?", "http://testserver/")), url
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert " style=" not in html
    # Every option is a labelled input inside a fieldset with a legend.
    fieldsets = re.findall(r"<fieldset.*?</fieldset>", html, re.S)
    assert len(fieldsets) == len(paging.page_codes(load_default(), 0))
    for fieldset in fieldsets:
        assert "<legend>" in fieldset
        for input_id in re.findall(r'<input[^>]* id="([^"]+)"', fieldset):
            assert f'for="{input_id}"' in fieldset
    # The notice (who, why, anonymity) comes before the first question.
    notice = load_default().notice.zh
    assert html.index(notice) < html.index("<fieldset")


def test_tap_targets_are_at_least_44_px() -> None:
    css = (REPO / "api" / "static" / "survey.css").read_text(encoding="utf-8")
    for selector in (".choice {", ".survey button {", ".lang-switch {"):
        block = css[css.index(selector) :].split("}", 1)[0]
        height = int(re.search(r"min-height:\s*(\d+)px", block).group(1))  # type: ignore[union-attr]
        assert height >= 44, selector


def test_every_interface_word_exists_in_both_languages() -> None:
    used: set[str] = set()
    residents = [
        *(REPO / "templates" / "survey").glob("*.html"),
        REPO / "templates" / "_survey_item.html",
        REPO / "templates" / "_error_summary.html",
    ]
    for template in residents:
        used |= set(re.findall(r"""\bt\(['"]([a-z_]+)['"]""", template.read_text("utf-8")))
    refusals = {
        "bad_code",
        "unknown_code",
        "other_community",
        "other_wave",
        "code_used",
        "other_form",
        "bad_form",
        "closed_title",
        "closed_text",
        "not_open_title",
        "not_open_text",
        "conflict_title",
        "conflict_text",
        "bad_link_title",
    }
    missing = sorted((used | refusals) - TEXT.keys())
    assert missing == []
    assert all(zh and en and zh != en for zh, en in (TEXT[k] for k in used | refusals))


def test_english_on_a_switch_that_is_remembered(client: TestClient) -> None:
    q = load_default()
    english = client.get(open_path() + "?lang=en")
    assert '<html lang="en">' in english.text
    assert q.item("age_18_plus").label.en in english.text
    assert "中文" in english.text  # the way back
    form = read(english)
    nxt = post_page(client, form, complete_answers())
    assert q.item("D1.1").label.en in nxt.html  # type: ignore[operator]
    assert "Page 2 of" in nxt.html
    chinese = client.get(open_path() + "?lang=zh")
    assert q.item("D1.1").label.zh in chinese.text and "第 2 页" in chinese.text


def test_the_age_gate_ends_politely_and_stores_nothing(client: TestClient) -> None:
    form = read(client.get(open_path()))
    ended = post_page(client, form, {"age_18_plus": "no"})
    assert ended.status == 200
    assert load_default().item("age_18_plus").constraint_message.zh in ended.html  # type: ignore[union-attr]
    assert 'id="survey-form"' not in ended.html
    assert count(engine_of(client)) == 0
    assert draft_of(engine_of(client), form.client_id) is None


def test_errors_come_back_with_every_answer_kept(client: TestClient) -> None:
    answers = complete_answers()
    form = fill_until(client, open_path(), answers, pages=1)
    assert form.page == 1
    codes = paging.page_codes(load_default(), 1)
    sent = {c: answers[c] for c in codes[2:]} | {codes[1]: "7"}  # codes[0] missing, [1] wrong
    again = post_page(client, form, sent)
    assert again.status == 422 and again.page == 1
    assert error_links(again.html) == [f"q-{codes[0]}-5", f"q-{codes[1]}-5"]
    assert "此题为必答题" in again.html and "请从选项中选择一项" in again.html
    for code in codes[2:]:
        assert again.checked[code] == [str(answers[code])]
    # Each error sits next to its field and is announced with it.
    fieldset = re.search(
        rf'<fieldset[^>]*id="q-{re.escape(codes[0])}".*?</fieldset>', again.html, re.S
    ).group(0)  # type: ignore[union-attr]
    assert f'aria-describedby="q-{codes[0]}-error"' in fieldset and "field-error" in fieldset
    # The valid answers were saved in the draft meanwhile; the invalid one was not.
    draft = draft_of(engine_of(client), form.client_id)
    assert draft is not None and set(codes[2:]) <= draft.answers.keys()
    assert codes[1] not in draft.answers


def test_a_radio_answer_sent_twice_is_named_as_such(client: TestClient) -> None:
    answers = complete_answers()
    form = fill_until(client, open_path(), answers, pages=1)
    codes = paging.page_codes(load_default(), 1)
    sent = {c: answers[c] for c in codes} | {codes[0]: [str(answers[codes[0]])] * 2}
    again = post_page(client, form, sent)
    assert again.status == 422 and again.page == 1
    assert error_links(again.html) == [f"q-{codes[0]}-5"]
    assert "此题只能填写一个答案" in again.html and "请填写整数" not in again.html


def test_reloading_or_reopening_the_link_resumes(client: TestClient) -> None:
    answers = complete_answers()
    path = open_path()
    form = fill_until(client, path, answers, pages=4)
    assert form.page == 4
    reloaded = read(client.get(path))  # the cookie carries the client id
    assert reloaded.client_id == form.client_id and reloaded.page == 4
    back = read(client.get(f"{path}?page=2"))
    codes = paging.page_codes(load_default(), 2)
    assert {c: back.checked[c] for c in codes} == {c: [str(answers[c])] for c in codes}
    client.cookies.clear()  # another browser, or cookies dropped: ?cid= resumes
    resumed = read(client.get(f"{path}?cid={form.client_id}"))
    assert resumed.client_id == form.client_id and resumed.page == 4
    client.cookies.clear()
    fresh = read(client.get(path))
    assert fresh.client_id != form.client_id and fresh.page == 0


def test_back_goes_to_the_previous_page_without_requiring_answers(client: TestClient) -> None:
    form = fill_until(client, open_path(), complete_answers(), pages=2)
    back = post_page(client, form, {}, "back")
    assert back.status == 200 and back.page == form.page - 1


def test_identical_retry_gets_the_receipt_changed_answers_get_409(client: TestClient) -> None:
    q = load_default()
    answers = complete_answers()
    path = open_path()
    form = fill_until(client, path, answers, pages=len(paging.page_sections(q)) - 1)
    last_page = form
    done = post_page(client, last_page, answers, "submit")
    assert "提交成功" in done.html
    retry = post_page(client, last_page, answers, "submit")  # the resident taps again
    assert retry.status == 200 and "提交成功" in retry.html
    code = paging.page_codes(q, last_page.page)[0]
    changed = dict(answers, **{code: _other_option(code, answers[code])})
    conflict = post_page(client, last_page, changed, "submit")
    assert conflict.status == 409 and "已经提交" in conflict.html
    [row] = responses(engine_of(client))
    assert row.answers == answers
    # Reopening the link shows the receipt again: one answer per person.
    assert "提交成功" in client.get(path).text


def _other_option(code: str, value: Any) -> str:
    item = load_default().item(code)
    options = [o.value for o in getattr(item, "options", [])]
    return next(o for o in options if o != value)


def test_pages_skipped_by_address_are_asked_before_submitting(client: TestClient) -> None:
    q = load_default()
    last = len(paging.page_sections(q)) - 1
    form = read(client.get(open_path() + f"?page={last}"))
    assert form.page == last
    sent = post_page(client, form, complete_answers(), "submit")
    assert sent.status == 422 and sent.page == 0
    assert error_links(sent.html)[0].startswith("q-age_18_plus")
    assert count(engine_of(client)) == 0


def test_malformed_posts_get_a_clear_4xx_and_change_nothing(client: TestClient) -> None:
    form = read(client.get(open_path()))
    engine = engine_of(client)
    assert count(engine, Draft) == 0  # opening the form stores nothing
    cases: list[dict[str, Any]] = [
        {**form.hidden, "client_id": "not-a-uuid"},
        {**form.hidden, "page": "99"},
        {**form.hidden, "page": "-1"},
        {k: v for k, v in form.hidden.items() if k != "client_id"},
    ]
    for data in cases:
        response = client.post(form.action, data=data)
        assert response.status_code == 400 and "表单不完整" in response.text
    upload = client.post(
        form.action, data=form.hidden, files={"age_18_plus": ("a.txt", b"yes", "text/plain")}
    )
    assert upload.status_code == 422 and "答案格式不正确" in upload.text
    assert count(engine) == 0 and count(engine, Draft) == 0
    # The same holds once a draft exists: it keeps its answers, page and flags.
    saved = post_page(client, read(upload), {"age_18_plus": "yes", "age_band": "30-44"})
    before = draft_of(engine, saved.client_id)
    assert before is not None and saved.page == 1
    first_item = paging.page_codes(load_default(), 1)[0]
    upload = client.post(
        saved.action, data=saved.hidden, files={first_item: ("a.txt", b"4", "text/plain")}
    )
    assert upload.status_code == 422 and "答案格式不正确" in upload.text
    after = draft_of(engine, saved.client_id)
    assert after is not None
    assert (after.answers, after.flags) == (before.answers, before.flags)
    assert count(engine) == 0 and count(engine, Draft) == 1
