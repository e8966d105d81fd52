"""The questionnaire as a paged form: one page per section, what a page shows, and page checks.

Web-free on purpose: the HTML form, a future mini-program and the tests all page the same way.
Skip logic is decided here only as far as the answers already given allow; an item whose
``relevant`` rule reads an answer on its own page is shown (with JavaScript off the page cannot
react), and the server drops its answer at submission if it turned out hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from survey.errors import AnswerValidationError, FieldProblem
from survey.questionnaire.expressions import evaluate
from survey.questionnaire.model import Item, LocalText, Questionnaire, Section

# The item that gates the survey (DOMAIN.md: respondents under 18 are not surveyed). Answering it
# so that its own constraint fails ends the form politely, and nothing is stored.
AGE_GATE_CODE = "age_18_plus"


def page_sections(q: Questionnaire) -> list[Section]:
    """The form's pages in order: every section that holds at least one item."""
    used = {item.section for item in q.items}
    return [section for section in q.sections if section.code in used]


def page_codes(q: Questionnaire, index: int) -> list[str]:
    return [item.code for item in q.items_in_section(page_sections(q)[index].code)]


def page_of(q: Questionnaire, code: str) -> int:
    """Index of the page that asks item ``code``."""
    section = q.item(code).section
    return next(i for i, s in enumerate(page_sections(q)) if s.code == section)


def is_shown(q: Questionnaire, item: Item, answers: Mapping[str, Any]) -> bool:
    """Whether the page shows ``item`` given the answers so far (see the module docstring)."""
    relevant = q.expression(item.code, "relevant")
    if relevant is None:
        return True
    same_page = {i.code for i in q.items_in_section(item.section)}
    if relevant.references() & same_page:
        return True
    return evaluate(relevant, answers)


def shown_items(q: Questionnaire, index: int, answers: Mapping[str, Any]) -> list[Item]:
    section = page_sections(q)[index].code
    return [item for item in q.items_in_section(section) if is_shown(q, item, answers)]


def next_page(q: Questionnaire, index: int, answers: Mapping[str, Any]) -> int | None:
    """The next page with something to ask, or ``None`` after the last."""
    for candidate in range(index + 1, len(page_sections(q))):
        if shown_items(q, candidate, answers):
            return candidate
    return None


def previous_page(q: Questionnaire, index: int, answers: Mapping[str, Any]) -> int | None:
    for candidate in range(index - 1, -1, -1):
        if shown_items(q, candidate, answers):
            return candidate
    return None


def merge_page(
    answers: Mapping[str, Any], codes: Iterable[str], page_answers: Mapping[str, Any]
) -> dict[str, Any]:
    """The draft with one page replaced: an item of the page left blank is blank now."""
    codes = set(codes)
    merged = {code: value for code, value in answers.items() if code not in codes}
    merged.update({code: value for code, value in page_answers.items() if code in codes})
    return merged


def problems_of(q: Questionnaire, answers: Mapping[str, Any]) -> list[FieldProblem]:
    """Every problem a complete submission of ``answers`` would have (``[]`` when it is valid)."""
    try:
        q.validate_answers(answers)
    except AnswerValidationError as error:
        return error.problems
    return []


def page_problems(q: Questionnaire, answers: Mapping[str, Any], index: int) -> list[FieldProblem]:
    """The problems of one page, judged with the whole draft (skip logic reads earlier pages);
    the unanswered required items of later pages are not this page's business."""
    codes = set(page_codes(q, index))
    return [p for p in problems_of(q, answers) if p.field in codes]


def first_page_with(q: Questionnaire, problems: Iterable[FieldProblem]) -> int:
    pages = [page_of(q, p.field) for p in problems if q.has_item(p.field)]
    return min(pages, default=0)


def gate_closed(q: Questionnaire, answers: Mapping[str, Any]) -> LocalText | None:
    """The polite closing text when the gate item is answered so that the survey must end."""
    if not q.has_item(AGE_GATE_CODE) or AGE_GATE_CODE not in answers:
        return None
    constraint = q.expression(AGE_GATE_CODE, "constraint")
    if constraint is None or evaluate(constraint, answers, current=answers[AGE_GATE_CODE]):
        return None
    item = q.item(AGE_GATE_CODE)
    return item.constraint_message or LocalText(
        zh="本调查仅面向年满18周岁的居民,感谢您的关注。",
        en="This survey is only for residents aged 18 or over. Thank you for your interest.",
    )
