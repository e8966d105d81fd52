"""Every status a route can answer, written into its OpenAPI document.

A route declares what its own code returns on its decorator (``responses=``: a 404 for a model
that does not exist, a 409 for a closed wave). What comes from its dependencies and from the
middleware in front of every route is added here, from the route itself, so a new route that
uses ``CurrentUser``, ``ResearchUser`` or ``WaveDep`` is documented without anyone remembering
to (tests/e2e/test_schemathesis.py checks the document against the running server):

- a dependency marked with :func:`raises` adds its statuses (sign-in 401, role 403, a path
  look-up 404, a rate limit 429), found by walking the route's dependency tree;
- POST/PUT/PATCH/DELETE can meet the body limit (413), the text guard (422) and the cross-site
  guard for cookie sessions (403), whatever the route does; a JSON body sent as something else
  gets 415.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

F = TypeVar("F", bound=Callable[..., Any])

_MARK = "__meihao_statuses__"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# What each status means here; a route's own description wins.
MEANING = {
    400: "the request cannot be read (a link or code that is not ours, a missing field)",
    401: "not signed in, or the bearer token is invalid or expired",
    403: "signed in without the role or scope for this, or a cross-site request "
    "from a browser session",
    404: "no such wave, community, model or record (or not in your scope)",
    409: "conflicts with the current state (a closed wave, an immutable record)",
    413: "request body larger than the server accepts",
    415: "the body must be sent as JSON (Content-Type: application/json)",
    422: "the input is invalid; `detail` names each field and what is wrong",
    429: "too many requests; retry after the seconds in Retry-After",
}

# The body of every error reply (api/errors.py): ``detail`` is a sentence, or FastAPI's list of
# problems (``loc``, ``msg``, ``type``) capped at 50 with ``problem_count`` giving the total.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "loc": {"type": "array"},
                            "msg": {"type": "string"},
                            "type": {"type": "string"},
                        },
                    },
                },
            ]
        },
        "problem_count": {"type": "integer"},
    },
}


PROBLEM_REF = "#/components/schemas/Problem"
_VALIDATION_REF = "#/components/schemas/HTTPValidationError"


def raises(*statuses: int) -> Callable[[F], F]:
    """Mark a dependency with the error statuses it answers (added to every route using it)."""

    def mark(dependency: F) -> F:
        setattr(dependency, _MARK, frozenset(statuses) | getattr(dependency, _MARK, frozenset()))
        return dependency

    return mark


def _dependencies(dependant: Dependant | None) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies if dependant is not None else ():
        if sub.call is not None:
            yield sub.call
        yield from _dependencies(sub)


def statuses_of(route: RouteContext) -> set[int]:
    """The error statuses a route answers because of its dependencies and the middleware."""
    found: set[int] = set()
    for call in _dependencies(route.dependant):
        found |= getattr(call, _MARK, frozenset())
    if (route.methods or set()) & BODY_METHODS:
        found |= {403, 413, 422}
    body = route.body_field
    if body is not None and not isinstance(body.field_info, params.Form):  # File is a Form
        found.add(415)  # a JSON body sent as text or a form (api/errors.py)
    return found


def error_response(status: int, description: str | None = None) -> dict[str, Any]:
    """A ``responses=`` entry for an error reply of ``status`` with the common body."""
    return {
        "description": description or MEANING.get(status) or HTTPStatus(status).phrase,
        "content": {"application/json": {"schema": {"$ref": PROBLEM_REF}}},
    }


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route's own error statuses: ``responses=errors(404, 409)``."""
    return {status: error_response(status) for status in statuses}


def _complete(schema: dict[str, Any], routes: list[RouteContext]) -> None:
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for route in routes:
        operations = schema.get("paths", {}).get(route.path_format or "", {})
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            documented = operation.setdefault("responses", {})
            for status in sorted(statuses_of(route)):
                documented.setdefault(str(status), error_response(status))
            for status, entry in documented.items():
                if status.isdigit() and int(status) >= 400:
                    content = entry.setdefault("content", error_response(int(status))["content"])
                    body = content.get("application/json", {})
                    if body.get("schema") == {"$ref": _VALIDATION_REF}:
                        # FastAPI's list, or a sentence from the questionnaire or scoring
                        body["schema"] = {"$ref": PROBLEM_REF}
                    if entry.get("description") in ("", HTTPStatus(int(status)).phrase):
                        entry["description"] = MEANING.get(int(status), entry["description"])


def document_statuses(app: FastAPI) -> None:
    """Complete the app's OpenAPI document with the statuses of each route's dependencies and of
    the middleware, each error status with the common body."""
    generate = app.openapi
    completed: list[int] = []  # id() of the document last completed (FastAPI caches it)

    def openapi() -> dict[str, Any]:
        schema = generate()
        if completed != [id(schema)]:
            routes = [
                r
                for r in iter_route_contexts(app.routes)
                if isinstance(r.original_route, APIRoute) and r.include_in_schema
            ]
            _complete(schema, routes)
            completed[:] = [id(schema)]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
