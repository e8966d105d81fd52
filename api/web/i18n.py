"""The language of the pages (Chinese first, English via ``?lang=en``, then a cookie) and the
residents' form's own words.

Questionnaire texts come in both languages from the questionnaire itself; ``TEXT`` holds only
the form's words (buttons, notices, error pages), so a translation is one table to review. The
officials' pages share the language choice and pass their own table to :func:`translator`
(``api/official_text.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from starlette.responses import Response

from api.web.https import secure_scheme

LANGS = ("zh", "en")
LANG_COOKIE = "meihao_lang"
LANG_COOKIE_MAX_AGE_S = 365 * 24 * 3600

# key → (中文, English); str.format fields are filled from the translator's keyword arguments.
TEXT: dict[str, tuple[str, str]] = {
    "switch_to": ("English", "中文"),
    "colon": ("：", ": "),  # after a label ("社区：…", "Community: …")
    "survey": ("美好社区居民满意度调查", "Good-community residents' survey"),
    "community": ("社区", "Community"),
    "wave": ("调查轮次", "Survey wave"),
    "progress": ("第 {k} 页，共 {n} 页", "Page {k} of {n}"),
    "next": ("下一页", "Next"),
    "back": ("上一页", "Back"),
    "submit": ("提交问卷", "Submit"),
    "optional": ("（选填）", "(optional)"),
    # The grid question when the register lists the community's grids (survey/grids.py).
    "grid_choose_hint": ("请选择您所在的网格", "Choose your grid"),
    "grid_not_sure": ("不清楚", "Not sure"),
    "choose_up_to": ("最多选 {n} 项", "Choose up to {n}"),
    "error_summary": ("请检查以下 {n} 处问题：", "Please check the following ({n}):"),
    "saved": ("已自动保存", "Saved"),
    "honeypot": ("请勿填写此项", "Leave this field empty"),
    "confirm_title": ("请确认后再次提交", "Please confirm and send again"),
    "confirm_text": (
        "页面停留时间较长或已在其他窗口打开。为保护您的答卷，请核对本页答案后再次点击按钮。"
        "您填写的答案都已保留。",
        "This page was open for a long time or in another window. To protect your answers, "
        "check this page and press the button again. Nothing you entered was lost.",
    ),
    "too_many_title": ("本页未能读取", "This page could not be read"),
    "too_many_text": (
        "提交的内容比本问卷的题目多，未能保存。请核对本页答案后再次点击按钮。",
        "What was sent holds more fields than this questionnaire has, so nothing was saved. "
        "Check this page and press the button again.",
    ),
    "rate_title": ("提交的人较多，请稍候", "Many people are submitting right now"),
    "rate_text": (
        "请在 {s} 秒后再点一次“提交问卷”。您填写的答案都已保留。",
        "Please press “Submit” again in {s} seconds. Nothing you entered was lost.",
    ),
    "busy_title": ("请稍候再试", "Please wait a moment"),
    "busy_text": (
        "这个网络发来的请求太多了，请在 {s} 秒后再试。您已填写的答案不会丢失。",
        "Too many requests came from this network; please try again in {s} seconds. "
        "Nothing you entered was lost.",
    ),
    "done_title": ("提交成功", "Submitted successfully"),
    "done_text": (
        "感谢您的参与！您的回答将帮助社区改进工作、提升服务。",
        "Thank you! Your answers help the community improve its work and services.",
    ),
    "receipt": ("回执号", "Receipt number"),
    "results_link": (
        "调查结束后，可在这里查看本社区的评价结果和整改进展",
        "After the survey closes, see this community's results and what is being done here",
    ),
    "another_person": (
        "家中其他年满18周岁的居民也想填写？",
        "Another adult in your household would like to answer?",
    ),
    "start_new": ("开始一份新问卷", "Start a new questionnaire"),
    "ended_title": ("感谢您的关注", "Thank you for your interest"),
    "closed_title": ("本轮调查已结束", "This survey has closed"),
    "closed_text": (
        "本轮调查已经结束，不再接收新的答卷。感谢您的关注！",
        "This survey wave has ended and accepts no more answers. Thank you for your interest!",
    ),
    "not_open_title": ("本轮调查尚未开始", "This survey has not started yet"),
    "not_open_text": (
        "本轮调查还没有开始，请在调查开始后再扫码参与。",
        "This survey wave has not opened yet. Please scan the code again once it has started.",
    ),
    "bad_link_title": ("链接无效", "This link is not valid"),
    "bad_link_text": (
        "这个调查链接无效或不完整。请重新扫描社区张贴的二维码。",
        "This survey link is not valid or was cut short. Please scan the QR code posted in your "
        "community again.",
    ),
    "code_title": ("请输入邀请码", "Enter your invitation code"),
    "code_text": (
        "本轮调查凭邀请码参与。邀请码印在您收到的调查邀请单上，共16位字母和数字。",
        "This survey is by invitation. The 16-character code is printed on the invitation slip "
        "you received.",
    ),
    "code_label": ("邀请码", "Invitation code"),
    "code_start": ("开始答题", "Start"),
    "bad_code": (
        "邀请码应为16位字母和数字（例如 ABCD-EFGH-JKLM-NPQR），请核对邀请单。",
        "An invitation code has 16 letters and digits (e.g. ABCD-EFGH-JKLM-NPQR); check the slip.",
    ),
    "unknown_code": (
        "没有找到这个邀请码，请核对邀请单上的号码。",
        "No invitation has this code; check the number on the slip.",
    ),
    "other_community": (
        "这个邀请码属于另一个社区，不能用于本社区的调查。",
        "This invitation code is for another community.",
    ),
    "other_wave": (
        "这个邀请码属于另一轮调查，不能用于本轮调查。",
        "This invitation code is for another survey wave.",
    ),
    "open_wave": (
        "本轮调查不使用邀请码，请扫描张贴在社区的二维码参加调查。",
        "This survey wave does not use invitation codes; please scan the QR code posted in your "
        "community.",
    ),
    "code_used": (
        "这个邀请码已经使用过。每个邀请码只能提交一份问卷。",
        "This invitation code was already used. Each code is good for one questionnaire.",
    ),
    "refused_title": ("无法打开问卷", "The questionnaire cannot be opened"),
    "other_form": (
        "这份答卷是从另一个链接开始的，不能在这里提交。请重新扫描本社区的二维码。",
        "This answer sheet was started from another link and cannot be sent here. Please scan "
        "your community's QR code again.",
    ),
    "bad_form": (
        "提交的表单不完整，请返回问卷重新提交。",
        "The form that was sent is incomplete; go back to the questionnaire and send it again.",
    ),
    "too_many_fields": (
        "提交的表单字段数超过了本问卷可能有的数量，未能读取。请返回问卷重新提交；已保存的答案不会丢失。",
        "The form that was sent has more fields than this questionnaire can have, so it was not "
        "read. Go back to the questionnaire and send it again; answers already saved are kept.",
    ),
    "conflict_title": ("问卷已经提交过", "Already submitted"),
    "conflict_text": (
        "这份问卷此前已经提交成功，提交后的答案不能更改。如需再填写一份，请开始新问卷。",
        "This questionnaire was already submitted, and submitted answers cannot be changed. To "
        "answer again, start a new questionnaire.",
    ),
}


def request_lang(request: Request) -> str:
    """``?lang=`` when valid, else the remembered choice, else Chinese."""
    chosen = request.query_params.get("lang")
    if chosen in LANGS:
        return chosen
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in LANGS else "zh"


def other_lang(lang: str) -> str:
    return "zh" if lang == "en" else "en"


def remember_lang(response: Response, request: Request) -> None:
    """Keep an explicit ``?lang=`` choice in a cookie (one year), so links need not carry it."""
    chosen = request.query_params.get("lang")
    if chosen in LANGS and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=LANG_COOKIE_MAX_AGE_S,
            samesite="lax",
            httponly=True,
            secure=secure_scheme(request.url.scheme, request.app),
            path="/",
        )


def translator(lang: str, table: dict[str, tuple[str, str]] | None = None) -> Callable[..., str]:
    """``t("progress", k=2, n=9)`` → the text in ``lang`` from ``table`` (default: the residents'
    words), formatted; an unknown key comes back as itself, easy to spot on the page."""
    words = TEXT if table is None else table
    index = 1 if lang == "en" else 0

    def t(key: str, **values: object) -> str:
        entry = words.get(key)
        text = entry[index] if entry else key
        return text.format(**values) if values else text

    return t
