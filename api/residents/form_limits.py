"""How many fields a page of the residents' form may post, from the questionnaire's own size.

Starlette stops reading a form at 1,000 fields (and 1,000 files) and answers a bare 400: a long
questionnaire page (many check boxes) lost its answers. A page can never send more than every
input of the questionnaire plus the form's own hidden fields, so that is the limit, capped by
:data:`MAX_FORM_FIELDS` whatever a questionnaire holds. A post beyond it did not come from the
page: it gets 413, and the page comes back with what the first fields of the post answered
(api/residents/form_routes.py); a multipart post that cannot be read that far gets a page that
says so. Answers already saved stay saved, and the browser keeps its copy of the page.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from api.residents.views import message
from survey.questionnaire.model import Questionnaire

# client_id, page, started, csrf_token, website (honeypot), action, with room to spare
FORM_META_FIELDS = 16
# A sane bound for any questionnaire: 10,000 short fields already fill the 256 KB body limit.
MAX_FORM_FIELDS = 10_000


def field_limit(questionnaire: Questionnaire) -> int:
    """Every input the form can show (one per check box of a multiple choice) and its meta."""
    inputs = sum(
        len(getattr(item, "options", ()) or ()) if item.kind == "multi_choice" else 1
        for item in questionnaire.items
    )
    return min(MAX_FORM_FIELDS, FORM_META_FIELDS + inputs)


class TooManyFields(Exception):
    """A post beyond the limit; ``kept``: its first ``limit`` fields, when it was urlencoded."""

    def __init__(self, limit: int, kept: FormData | None) -> None:
        super().__init__(f"more than {limit} form fields")
        self.limit, self.kept = limit, kept


def first_fields(body: bytes, limit: int) -> FormData:
    pairs = body.split(b"&", limit)[:limit]
    text = b"&".join(pairs).decode("utf-8")
    items: list[tuple[str, str | UploadFile]] = list(parse_qsl(text, keep_blank_values=True))
    return FormData(items)


async def read_form(request: Request, questionnaire: Questionnaire) -> FormData:
    """The posted form, read up to the questionnaire's size; :class:`TooManyFields` beyond."""
    limit = field_limit(questionnaire)
    body = await request.body()  # buffered already (api/web/limits.py); kept for a refusal
    try:
        return await request.form(max_fields=limit, max_files=limit)
    except HTTPException as error:  # Starlette's 400 for a form it stopped reading
        if not str(error.detail).startswith("Too many"):
            raise
        urlencoded = request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        )  # its text was checked to be UTF-8 (api/web/text_guard.py)
        raise TooManyFields(limit, first_fields(body, limit) if urlencoded else None) from None


def too_many_fields(request: Request, error: TooManyFields) -> Response:
    return message(request, 413, "refused_title", "too_many_fields", field_limit=error.limit)
