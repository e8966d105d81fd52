"""Domain errors → HTTP statuses, with bodies a person can act on.

Every 4xx body has ``detail``; validation problems use FastAPI's list shape
(``[{"loc": [...], "msg": ..., "type": ...}]``) whether FastAPI or the questionnaire found them,
so a client handles one format.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from fastapi import FastAPI, Request, params
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.web.error_pages import PAGE_STATUSES, error_page, wants_page
from api.web.ratelimit import RateLimited
from scoring.errors import ScoringError
from survey.errors import (
    AnswerValidationError,
    ConflictError,
    NotFoundError,
    QuestionnaireDefinitionError,
    SurveyError,
)

# An error reply lists this many problems and then how many there were: 10,000 unknown answer
# keys in a 120 KB body must not earn a megabyte of reply.
MAX_PROBLEMS_SHOWN = 50


def _to_replacement(error: UnicodeError) -> tuple[bytes, int]:
    assert isinstance(error, UnicodeEncodeError)
    # bytes: the UTF-8 encoder accepts only ASCII text from a handler
    return "\ufffd".encode() * (error.end - error.start), error.end


codecs.register_error("meihao.replace", _to_replacement)


class SafeJSONResponse(JSONResponse):
    """JSON that always encodes: text that is not valid Unicode (a lone surrogate stored before
    the edge refused it) goes out as U+FFFD instead of failing the whole reply."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(
            content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
        )
        return text.encode("utf-8", errors="meihao.replace")


def capped(problems: list[Any]) -> dict[str, Any]:
    """An error body with at most :data:`MAX_PROBLEMS_SHOWN` problems and their total count."""
    shown = problems[:MAX_PROBLEMS_SHOWN]
    body: dict[str, Any] = {"detail": shown}
    if len(problems) > len(shown):
        shown.append(
            {
                "loc": ["body"],
                "msg": f"… and {len(problems) - len(shown)} more problems "
                f"({len(problems)} in all); fix these first",
                "type": "too_many_problems",
            }
        )
        body["problem_count"] = len(problems)
    return body


TOP_LEVEL_FIELDS = {"wave", "community", "client_id", "started_at", "answers", "link", "invitation"}


def problem_list(error: AnswerValidationError) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for problem in error.problems:
        loc = (
            ["body", problem.field]
            if problem.field in TOP_LEVEL_FIELDS
            else ["body", "answers", problem.field]
        )
        items.append(
            {"loc": loc, "msg": f"{problem.field}: {problem.message}", "type": "value_error"}
        )
    return items


# Domain error → status. Order matters: ``_as_json`` takes the first class that matches, so
# every subclass stands before its base ``SurveyError``.
STATUS_OF: dict[type[Exception], int] = {
    NotFoundError: 404,
    ConflictError: 409,
    QuestionnaireDefinitionError: 422,
    ScoringError: 422,
    SurveyError: 400,
}


async def _as_json(request: Request, exc: Exception) -> Response:
    status = next(code for cls, code in STATUS_OF.items() if isinstance(exc, cls))
    if status in PAGE_STATUSES and wants_page(request):
        return error_page(request, status)
    return SafeJSONResponse(status_code=status, content={"detail": str(exc)})


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's reply for an HTTPException, except a 403/404 a browser sees as a page."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in PAGE_STATUSES and wants_page(request):
        return error_page(request, exc.status_code)
    return await http_exception_handler(request, exc)


async def _rate_limited(request: Request, exc: Exception) -> Response:
    """429 with Retry-After: JSON for the API, a page in Chinese (or English) for residents."""
    assert isinstance(exc, RateLimited)
    headers = {"Retry-After": str(exc.retry_after)}
    if request.url.path.startswith("/api/"):
        return JSONResponse(
            status_code=429,
            content={"detail": f"{exc}; retry after {exc.retry_after} s"},
            headers=headers,
        )
    from api.residents.views import message  # the residents' page templates, loaded lazily

    response = message(request, 429, "busy_title", "busy_text", wait_seconds=exc.retry_after)
    response.headers.update(headers)
    return response


def not_json(request: Request, exc: RequestValidationError) -> str | None:
    """The 415 message when a JSON body was refused as a whole because it was sent as something
    else (FastAPI then reports "a valid dictionary" about text it never parsed)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type or "json" in content_type:
        return None
    body = getattr(request.scope.get("route"), "body_field", None)
    if body is None or isinstance(body.field_info, params.Form):  # a form route: not this case
        return None
    if not any(tuple(error.get("loc", ())) == ("body",) for error in exc.errors()):
        return None
    return (
        f"the body must be JSON: send it with 'Content-Type: application/json' "
        f"(this request said {content_type!r})"
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(StarletteHTTPException, _http_error)

    @app.exception_handler(AnswerValidationError)
    async def _invalid(_request: Request, exc: AnswerValidationError) -> JSONResponse:
        return SafeJSONResponse(status_code=422, content=capped(problem_list(exc)))

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        unsupported = not_json(request, exc)
        if unsupported is not None:
            return SafeJSONResponse(status_code=415, content={"detail": unsupported})
        # FastAPI's own handler, but capped, and safe for any text the input held.
        return SafeJSONResponse(status_code=422, content=capped(jsonable_encoder(exc.errors())))

    for error_class in STATUS_OF:
        app.add_exception_handler(error_class, _as_json)
