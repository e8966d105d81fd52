"""The grid question (网格) follows the district register: a choice list of the community's
grids plus "not sure" when the register lists them, the free-text box otherwise; a hint that
fits the control; a submitted grid checked against the list on the form and the API; the
export reads the stored answer as before."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.exports.responses import MIN_GRID_RESPONDENTS, response_columns, response_rows
from api.web.i18n import TEXT
from survey.grids import GRID_CODE, NOT_SURE
from survey.questionnaire import paging
from survey.questionnaire.model import TextItem, load_default
from survey.storage.models import Community, Wave
from tests.support.factories import complete_answers, link_token, new_client_id
from tests.support.survey_form import count, fill_until, open_path, post_page, responses

GRIDS = ["一网格", "二网格", "三网格"]
GRID_PAGE = paging.page_of(load_default(), GRID_CODE)


def engine_of(client: TestClient) -> Engine:
    return client.app.state.engine  # type: ignore[attr-defined,no-any-return]


def set_grids(engine: Engine, code: str, grids: list[str]) -> None:
    with Session(engine) as session:
        community = session.exec(select(Community).where(Community.code == code)).one()
        community.grids = grids
        session.add(community)
        session.commit()


def grid_page(client: TestClient, community: str) -> Any:
    """A resident of ``community`` who answered the pages before the grid question."""
    form = fill_until(client, open_path(community=community), complete_answers(), GRID_PAGE)
    assert form.page == GRID_PAGE, form.html[:500]
    return form


def in_lang(client: TestClient, form: Any, lang: str) -> str:
    """The same page again in ``lang`` (what the language switch shows)."""
    return client.get(f"{form.url}&lang={lang}").text


class GridControl(HTMLParser):
    """The grid item's control(s) and hint as a browser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.radios: list[tuple[str, str]] = []  # (value, id)
        self.labels: dict[str, str] = {}  # input id → label text
        self.textarea = False
        self.hint = ""
        self.described_by = ""
        self._in: str | None = None
        self._label_for: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if a.get("id") == f"q-{GRID_CODE}":
            self.described_by = a.get("aria-describedby", "")
        if tag == "input" and a.get("name") == GRID_CODE:
            assert a.get("type") == "radio", a
            self.radios.append((a["value"], a["id"]))
        if tag == "textarea" and a.get("name") == GRID_CODE:
            self.textarea = True
            self.described_by = a.get("aria-describedby", "")
        if a.get("id") == f"q-{GRID_CODE}-hint":
            self._in = "hint"
        if tag == "label" and a.get("for", "").startswith(f"q-{GRID_CODE}-"):
            self._label_for = a["for"]

    def handle_data(self, data: str) -> None:
        if self._in == "hint":
            self.hint += data
        if self._label_for:
            self.labels[self._label_for] = self.labels.get(self._label_for, "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in = None
        if tag == "label":
            self._label_for = None


def control_of(html: str) -> GridControl:
    parser = GridControl()
    parser.feed(html)
    return parser


def test_with_grids_the_question_is_a_choice_list_plus_not_sure(client: TestClient) -> None:
    set_grids(engine_of(client), "C1", GRIDS)
    form = grid_page(client, "C1")
    control = control_of(form.html)
    assert not control.textarea
    assert [value for value, _ in control.radios] == [*GRIDS, NOT_SURE]
    labels = [control.labels[dom_id].strip() for _, dom_id in control.radios]
    assert labels == [*GRIDS, TEXT["grid_not_sure"][0]]
    assert control.hint == TEXT["grid_choose_hint"][0]
    assert "q-grid-hint" in control.described_by
    english = control_of(in_lang(client, form, "en"))
    assert [english.labels[i].strip() for _, i in english.radios][-1] == "Not sure"
    assert english.hint == "Choose your grid"


def test_without_grids_the_question_stays_a_text_box_with_its_hint(client: TestClient) -> None:
    item = load_default().item(GRID_CODE)
    form = grid_page(client, "C2")
    control = control_of(form.html)
    assert control.textarea and control.radios == []
    assert item.hint is not None and control.hint == item.hint.zh
    assert control_of(in_lang(client, form, "en")).hint == item.hint.en


# Words that say how to answer: a hint must use the ones of the control it sits next to.
CHOOSE_WORDS = ("选择", "选出", "choose", "select", "pick", "list", "列表")
TYPE_WORDS = ("填写", "输入", "type", "write", "enter")


def hint_fits(hint: str, *, choice: bool) -> bool:
    text = hint.lower()
    wrong, right = (TYPE_WORDS, CHOOSE_WORDS) if choice else (CHOOSE_WORDS, TYPE_WORDS)
    return any(w in text for w in right) and not any(w in text for w in wrong)


def test_hint_fits_the_control_on_both_forms_in_both_languages(client: TestClient) -> None:
    set_grids(engine_of(client), "C1", GRIDS)
    for community, choice in (("C1", True), ("C2", False)):
        form = grid_page(client, community)
        for lang in ("zh", "en"):
            control = control_of(in_lang(client, form, lang))
            assert bool(control.radios) is choice and control.textarea is not choice
            assert hint_fits(control.hint, choice=choice), (community, lang, control.hint)
    # The check itself tells the two apart (the "choose from the list" on a text box).
    assert not hint_fits("请从列表中选择", choice=False) and not hint_fits("Type it", choice=True)


def test_every_text_item_hint_asks_to_type_never_to_choose() -> None:
    q = load_default()
    for item in q.items:
        if isinstance(item, TextItem) and item.hint is not None:
            for text in (item.hint.zh, item.hint.en or ""):
                assert not any(w in text.lower() for w in CHOOSE_WORDS), (item.code, text)


def test_the_form_refuses_a_grid_not_in_the_list_and_stores_a_chosen_one(
    client: TestClient,
) -> None:
    set_grids(engine_of(client), "C1", GRIDS)
    answers = complete_answers()
    form = grid_page(client, "C1")
    again = post_page(client, form, {**answers, GRID_CODE: "四网格"})
    assert again.status == 422 and again.page == GRID_PAGE
    assert "请从本社区的网格中选择一项" in again.html
    assert re.search(r'href="#q-grid-0"', again.html)  # the summary links to the list
    assert count(engine_of(client)) == 0
    chosen = {**answers, GRID_CODE: "二网格"}
    form = post_page(client, again, chosen)
    while form.status == 200 and "提交成功" not in form.html:
        last = paging.next_page(load_default(), form.page, chosen) is None
        form = post_page(client, form, chosen, "submit" if last else "next")
    assert "提交成功" in form.html, form.html[:1000]
    [row] = responses(engine_of(client))
    assert row.answers[GRID_CODE] == "二网格"


def test_a_grid_typed_before_the_register_listed_grids_is_not_kept(client: TestClient) -> None:
    """The resident typed a grid and went back; then the register listed the community's grids.
    The page now offers the list with nothing chosen, and the typed name is refused."""
    answers = {**complete_answers(), GRID_CODE: "老院子"}
    form = post_page(client, grid_page(client, "C1"), answers, "back")
    assert form.page == GRID_PAGE - 1
    set_grids(engine_of(client), "C1", GRIDS)
    form = post_page(client, form, answers, "next")
    assert form.page == GRID_PAGE
    assert control_of(form.html).radios and GRID_CODE not in form.checked
    refused = post_page(client, form, answers, "submit")
    assert refused.status == 422 and "请从本社区的网格中选择一项" in refused.html
    assert count(engine_of(client)) == 0


def api_body(community: str, grid: str | None) -> dict[str, Any]:
    answers = complete_answers()
    if grid is not None:
        answers[GRID_CODE] = grid
    return {
        "link": link_token("W1", community),
        "wave": "W1",
        "community": community,
        "client_id": new_client_id(),
        "answers": answers,
    }


def test_the_api_checks_the_grid_against_the_register(client: TestClient) -> None:
    set_grids(engine_of(client), "C1", GRIDS)
    refused = client.post("/api/v1/responses", json=api_body("C1", "四网格"))
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "answers", GRID_CODE]
    assert "一网格" in problem["msg"] and NOT_SURE in problem["msg"]
    assert count(engine_of(client)) == 0
    for community, grid in (("C1", "三网格"), ("C1", NOT_SURE), ("C1", None), ("C2", "随便写")):
        response = client.post("/api/v1/responses", json=api_body(community, grid))
        assert response.status_code == 201, (community, grid, response.text)
    stored = [r.answers.get(GRID_CODE) for r in responses(engine_of(client))]
    assert stored == ["三网格", NOT_SURE, None, "随便写"]


def test_the_export_shows_a_chosen_grid_only_with_enough_respondents(client: TestClient) -> None:
    set_grids(engine_of(client), "C1", GRIDS)
    sent = ["一网格"] * MIN_GRID_RESPONDENTS + ["二网格"] * (MIN_GRID_RESPONDENTS - 1)
    for grid in sent:
        response = client.post("/api/v1/responses", json=api_body("C1", grid))
        assert response.status_code == 201, response.text
    engine = engine_of(client)
    with Session(engine) as session:
        wave = session.exec(select(Wave).where(Wave.code == "W1")).one()
    columns = response_columns(load_default(), include_text=False)
    at = [c.code for c in columns].index(GRID_CODE)
    assert columns[at].type == "string"  # the same column as with free text
    rows = list(response_rows(engine, wave=wave, columns=columns, secret="k"))
    assert sorted(r[at] or "" for r in rows) == sorted(
        [""] * (MIN_GRID_RESPONDENTS - 1) + ["一网格"] * MIN_GRID_RESPONDENTS
    )
