"""Domain errors → HTTP statuses, with bodies a person can act on.

Every 4xx body has ``detail``; validation problems use FastAPI's list shape
(``[{"loc": [...], "msg": ..., "type": ...}]``) whether FastAPI or the questionnaire found them,
so a client handles one format.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from scoring.errors import ScoringError
from survey.errors import (
    AnswerValidationError,
    ConflictError,
    NotFoundError,
    QuestionnaireDefinitionError,
    SurveyError,
)

TOP_LEVEL_FIELDS = {"wave", "community", "client_id", "started_at", "answers"}


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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AnswerValidationError)
    async def _invalid(_request: Request, exc: AnswerValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": problem_list(exc)})

    @app.exception_handler(NotFoundError)
    async def _not_found(_request: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(ConflictError)
    async def _conflict(_request: Request, exc: ConflictError) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(QuestionnaireDefinitionError)
    async def _bad_definition(_request: Request, exc: QuestionnaireDefinitionError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(ScoringError)
    async def _scoring(_request: Request, exc: ScoringError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(SurveyError)
    async def _survey(_request: Request, exc: SurveyError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})
