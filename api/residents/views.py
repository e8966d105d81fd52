"""What the residents' pages show: items as plain view objects, and the page responses.

Templates get ready-to-print views (labels already in the chosen language, which option is
checked, the error next to each field) so that they hold markup only, no questionnaire logic.
Every residents' page goes out with a strict Content-Security-Policy (no inline script, no
third-party anything), ``no-store`` (answers on a shared phone must not come back from the
cache) and no referrer (the link itself is the credential).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.web.i18n import other_lang, remember_lang, request_lang, translator
from api.web.templating import templates
from survey.errors import FieldProblem
from survey.grids import GRID_CODE, NOT_SURE
from survey.questionnaire.expressions import Compare, Literal, Ref
from survey.questionnaire.model import (
    Item,
    LikertItem,
    LocalText,
    MultiChoiceItem,
    NumericItem,
    Questionnaire,
    RatingItem,
    SingleChoiceItem,
    TextItem,
)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@dataclass
class OptionView:
    value: str
    label: str
    dom_id: str
    checked: bool
    dont_know: bool = False


@dataclass
class ItemView:
    code: str
    kind: str
    label: str
    dom_id: str
    required: bool
    hint: str = ""
    error: str = ""
    options: list[OptionView] = field(default_factory=list)
    value: str = ""
    low_label: str = ""
    high_label: str = ""
    max_length: int = 0
    minimum: str = ""
    maximum: str = ""
    step: str = ""
    show_if: tuple[str, str] | None = None  # (code, value): JavaScript may hide the item


def local(text: LocalText | None, lang: str) -> str:
    return text.get(lang) if text is not None else ""


def dom_id(code: str) -> str:
    return f"q-{code}"


def problem_text(problem: FieldProblem, lang: str) -> str:
    if lang == "zh" and problem.message_zh:
        return problem.message_zh
    return problem.message


def item_views(
    q: Questionnaire,
    items: Iterable[Item],
    answers: Mapping[str, Any],
    problems: Iterable[FieldProblem],
    lang: str,
    grids: Sequence[str] = (),
) -> list[ItemView]:
    """``grids``: the community's grids from the register; with them the grid question is a
    choice list (:func:`grid_choice_view`), without it the questionnaire's free-text item."""
    errors: dict[str, str] = {}
    for problem in problems:  # the first problem of a field is the one to fix first
        errors.setdefault(problem.field, problem_text(problem, lang))
    views = [
        _view(q, item, answers.get(item.code), errors.get(item.code, ""), lang) for item in items
    ]
    if grids:
        views = [grid_choice_view(v, grids, lang) if v.code == GRID_CODE else v for v in views]
    return views


def grid_choice_view(view: ItemView, grids: Sequence[str], lang: str) -> ItemView:
    """The grid question as one radio per grid plus "not sure", with a hint that says to choose
    (the questionnaire's own hint asks to type a name, which fits the text box only)."""
    t = translator(lang)
    chosen = view.value.strip()
    choices = [(name, name, False) for name in grids] + [(NOT_SURE, t("grid_not_sure"), True)]
    view.kind = "single_choice"
    view.hint = t("grid_choose_hint")
    view.options = [
        OptionView(value, label, f"{view.dom_id}-{number}", value == chosen, dont_know)
        for number, (value, label, dont_know) in enumerate(choices)
    ]
    return view


def _view(q: Questionnaire, item: Item, answer: Any, error: str, lang: str) -> ItemView:
    view = ItemView(
        code=item.code,
        kind=item.kind,
        label=local(item.label, lang),
        dom_id=dom_id(item.code),
        required=item.required,
        hint=local(item.hint, lang),
        error=error,
        show_if=_simple_condition(q, item),
    )
    chosen = {str(v) for v in answer} if isinstance(answer, list) else {str(answer)}
    if isinstance(item, LikertItem):
        scale = q.scale(item.scale)
        points = [(str(p.value), local(p.label, lang), False) for p in scale.points]
        if scale.na_code is not None:
            na = local(scale.na_label, lang) or ("不了解/不适用" if lang == "zh" else "Don't know")
            points.append((str(scale.na_code), na, True))
        view.options = [
            OptionView(v, label, f"{view.dom_id}-{v}", v in chosen, dk) for v, label, dk in points
        ]
    elif isinstance(item, RatingItem):
        view.options = [
            OptionView(str(v), str(v), f"{view.dom_id}-{v}", str(v) in chosen)
            for v in range(item.low, item.high + 1)
        ]
        view.low_label, view.high_label = local(item.low_label, lang), local(item.high_label, lang)
    elif isinstance(item, SingleChoiceItem | MultiChoiceItem):
        view.options = [
            OptionView(o.value, local(o.label, lang), f"{view.dom_id}-{o.value}", o.value in chosen)
            for o in item.options
        ]
        if isinstance(item, MultiChoiceItem) and item.max_choices and not view.hint:
            view.hint = translator(lang)("choose_up_to", n=item.max_choices)
    elif isinstance(item, NumericItem):
        view.value = "" if answer is None else str(answer)
        view.minimum = "" if item.min is None else f"{item.min:g}"
        view.maximum = "" if item.max is None else f"{item.max:g}"
        view.step = "1" if item.integer else "any"
    elif isinstance(item, TextItem):
        view.value = "" if answer is None else str(answer)
        view.max_length = item.max_length
    return view


def _simple_condition(q: Questionnaire, item: Item) -> tuple[str, str] | None:
    """``${code} = 'value'`` rules on the same page, which the script can apply as you answer."""
    expr = q.expression(item.code, "relevant")
    if not isinstance(expr, Compare) or expr.op != "=":
        return None
    left, right = expr.left, expr.right
    if isinstance(left, Literal) and isinstance(right, Ref):
        left, right = right, left
    if isinstance(left, Ref) and isinstance(right, Literal) and q.has_item(left.code):
        return (left.code, str(right.value))
    return None


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a residents' page with the language, the translator and the security headers."""
    lang = request_lang(request)
    full = {"lang": lang, "t": translator(lang), "other_lang": other_lang(lang), **context}
    response = templates.TemplateResponse(
        request,
        template,
        full,
        status_code=status_code,
        headers={**SECURITY_HEADERS, **(headers or {})},
    )
    remember_lang(response, request)
    return response


def message(
    request: Request, status_code: int, title_key: str, text_key: str, **context: Any
) -> HTMLResponse:
    """A short page that says what happened and what to do (invalid link, closed wave...)."""
    return page(
        request,
        "survey/message.html",
        {"title_key": title_key, "text_key": text_key, **context},
        status_code=status_code,
    )
