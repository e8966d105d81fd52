"""A malformed-input corpus over every route that takes a JSON body (issue 16).

The routes come from the app itself (every POST/PUT/PATCH whose body is JSON, not a form), so a
route added later is covered without touching this file. Each gets the whole corpus — invalid
JSON, bytes that are not UTF-8, lone surrogates, NaN, deep nesting, a body that is not an
object, arrays where objects belong, wrong types, nulls, huge strings, a body over the limit and
wrong content types — signed in as an admin so that staff routes reach their body checks. Every
reply must be a 4xx whose ``detail`` names the problem, never a 5xx, and no table may gain or
lose a row.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from api.app import create_app
from api.settings import Settings
from tests.support.staff import bearer, engine_of, seed_staff

JSON_METHODS = {"POST", "PUT", "PATCH"}
# Real codes for path parameters, so that a route gets as far as reading its body.
PATH_VALUES = {
    "wave": "W1",
    "community": "C1",
    "street": "S1",
    "name": "equal",
    "version": "1",
}
HUGE = 60_000  # characters: far beyond any field's bound (the body stays under its limit)


def json_routes() -> list[RouteContext]:
    app = create_app(Settings(database_url="sqlite://", secret_key="test-secret"))
    found = []
    for route in iter_route_contexts(app.routes):
        if (
            not isinstance(route.original_route, APIRoute)
            or not (route.methods or set()) & JSON_METHODS
        ):
            continue
        body = route.body_field
        if body is not None and not isinstance(body.field_info, params.Form):  # File is a Form
            found.append(route)
    return found


ROUTES = {
    f"{method} {r.path_format}": r
    for r in json_routes()
    for method in r.methods or ()
    if method in JSON_METHODS
}


def test_the_corpus_covers_the_json_routes() -> None:
    # The enumeration itself: the routes known to take JSON are all in it.
    assert {
        "POST /api/v1/responses",
        "POST /api/v1/responses/start",
        "POST /api/v1/tokens",
        "POST /api/v1/weight-models",
        "PUT /api/v1/waves/{wave}/default-model",
    } <= set(ROUTES)


# -- the body's schema, from the app's own OpenAPI document ---------------------------------


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def kinds(document: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    schema = resolve(document, schema)
    found = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        found |= kinds(document, option)
    return found


def wrong_value(kinds_of: set[str]) -> Any:
    """A value of a type the field does not take."""
    for value, kind in (([1, 2], "array"), ({"x": 1}, "object"), ("text", "string")):
        if kind not in kinds_of:
            return value
    return True


@dataclass(frozen=True)
class Body:
    """The body schema of one route: its properties (name → kinds) and required names."""

    properties: dict[str, set[str]]
    required: set[str]


def body_of(client: TestClient, method: str, path: str) -> Body:
    document = client.get("/openapi.json").json()
    operation = document["paths"].get(path, {}).get(method.lower())
    if operation is None:  # a route left out of the document: judge it by the generic cases
        return Body({}, set())
    schema = resolve(document, operation["requestBody"]["content"]["application/json"]["schema"])
    properties = {name: kinds(document, s) for name, s in schema.get("properties", {}).items()}
    return Body(properties, set(schema.get("required", [])))


# -- the corpus ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Body, int], bytes | None]  # None: the case does not apply to this body
    content_type: str = "application/json"
    statuses: tuple[int, ...] = (422,)
    says: tuple[str, ...] = ()  # one of these appears in the reply (case-insensitive)
    names_a_field: bool = False  # the reply's detail names one of the body's fields


def _fields(value: Callable[[str, set[str]], Any]) -> Callable[[Body, int], bytes | None]:
    def make(body: Body, _limit: int) -> bytes | None:
        if not body.properties:
            return None
        return json.dumps({n: value(n, k) for n, k in body.properties.items()}).encode()

    return make


def _nulls(body: Body, _limit: int) -> bytes | None:
    if not body.required:
        return None  # every field optional: nulls may well be a valid request
    return json.dumps(dict.fromkeys(body.properties)).encode()


def _arrays_for_objects(body: Body, _limit: int) -> bytes | None:
    objects = [n for n, k in body.properties.items() if "object" in k and "array" not in k]
    if not objects:
        return None
    return json.dumps({n: [] for n in objects}).encode()


def _huge_strings(body: Body, limit: int) -> bytes | None:
    strings = [n for n, k in body.properties.items() if "string" in k]
    if not strings:
        return None
    size = min(HUGE, limit // (4 * len(strings)))  # "長" is 3 bytes in UTF-8
    return json.dumps(dict.fromkeys(strings, "長" * size), ensure_ascii=False).encode()


CORPUS = [
    Case("invalid JSON", lambda b, n: b'{"wave": "W1",', says=("json",)),
    Case("not UTF-8", lambda b, n: b'{"wave": "W\xff\xfe1"}', says=("utf-8",)),
    Case("lone surrogate", lambda b, n: b'{"wave": "\\ud800"}', says=("surrogate",)),
    Case("NaN", lambda b, n: b'{"wave": NaN}', says=("nan",)),
    Case("deep nesting", lambda b, n: b"[" * 200 + b"]" * 200, says=("nested",)),
    Case("null body", lambda b, n: b"null", says=("required", "dictionary", "object")),
    Case("empty body", lambda b, n: b"", says=("required",)),
    Case("array body", lambda b, n: b"[]", says=("dictionary", "object")),
    Case("array of objects", lambda b, n: b'[{"wave": "W1"}]', says=("dictionary", "object")),
    Case("string body", lambda b, n: b'"W1"', says=("dictionary", "object")),
    Case("wrong types", _fields(lambda n, k: wrong_value(k)), names_a_field=True),
    Case("nulls", _nulls, names_a_field=True),
    Case("arrays for objects", _arrays_for_objects, names_a_field=True),
    Case("huge strings", _huge_strings, names_a_field=True),
    Case(
        "over the body limit",
        lambda b, n: b'{"wave": "' + b"x" * (n + 1) + b'"}',
        statuses=(413,),
        says=("larger",),
    ),
    Case(
        "text/plain",
        lambda b, n: b'{"wave": "W1"}',
        content_type="text/plain",
        statuses=(415,),
        says=("content-type: application/json",),
    ),
    Case(
        "form for JSON",
        lambda b, n: b"wave=W1&community=C1",
        content_type="application/x-www-form-urlencoded",
        statuses=(415,),
        says=("content-type: application/json",),
    ),
    Case(
        "multipart garbage",
        lambda b, n: b"--x\r\ngarbage",
        content_type="multipart/form-data; boundary=x",
        statuses=(415,),
        says=("content-type: application/json",),
    ),
]


def row_counts(client: TestClient) -> dict[str, int]:
    with Session(engine_of(client)) as session:
        return {
            name: int(session.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in SQLModel.metadata.tables.items()
        }


def url_of(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    while "{" in path:  # a parameter this file does not know: any value reaches the body check
        start, end = path.index("{"), path.index("}")
        path = path[:start] + "1" + path[end + 1 :]
    return path


def problems_with(reply: Any, case: Case, body: Body) -> str | None:
    """What is wrong with a reply to a malformed request, or None when it is as it must be."""
    if reply.status_code not in case.statuses:
        return f"status {reply.status_code}, not {case.statuses}: {reply.text[:300]}"
    try:
        detail = reply.json()["detail"]
    except (ValueError, KeyError):
        return f"no JSON detail: {reply.text[:300]}"
    text = json.dumps(detail, ensure_ascii=False).lower()
    if not detail:
        return "an empty detail"
    if case.says and not any(word in text for word in case.says):
        return f"the reply does not say {' / '.join(case.says)}: {text[:300]}"
    if case.names_a_field:
        locs = [p.get("loc", []) for p in detail] if isinstance(detail, list) else []
        named = {str(part) for loc in locs for part in loc}
        if not named & set(body.properties):
            return f"no field of {sorted(body.properties)} named: {text[:300]}"
    return None


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_malformed_bodies_get_a_4xx_naming_the_problem_and_change_nothing(
    client: TestClient, settings: Settings, route: str
) -> None:
    method, path = route.split(" ", 1)
    seed_staff(engine_of(client))
    headers = bearer(engine_of(client), "admin")
    body = body_of(client, method, path)
    before = row_counts(client)
    failures = []
    for case in CORPUS:
        content = case.make(body, settings.max_body_bytes)
        if content is None:
            continue
        reply = client.request(
            method,
            url_of(path),
            content=content,
            headers={**headers, "content-type": case.content_type},
        )
        problem = problems_with(reply, case, body)
        if problem:
            failures.append(f"{case.name}: {problem}")
        after = row_counts(client)
        if after != before:
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            failures.append(f"{case.name}: rows changed {changed}")
            before = after
    assert not failures, f"{route}:\n  " + "\n  ".join(failures)


# -- numbers beyond the database's integers, in any route's path or query ---------------------

HUGE_NUMBER = "9" * 25  # overflowed SQLite's and PostgreSQL's integers deep in the driver


def _is_integer(field: Any) -> bool:
    annotation = field.field_info.annotation
    return annotation is int or (
        hasattr(annotation, "__args__") and int in annotation.__args__  # int | None
    )


def integer_parameters(dependant: Dependant) -> tuple[set[str], set[str]]:
    """The names of the integer path and query parameters of a route and its dependencies."""
    path = {p.name for p in dependant.path_params if _is_integer(p)}
    query = {p.alias for p in dependant.query_params if _is_integer(p)}
    for sub in dependant.dependencies:
        sub_path, sub_query = integer_parameters(sub)
        path, query = path | sub_path, query | sub_query
    return path, query


def numbered_routes() -> list[tuple[str, str, set[str], set[str]]]:
    app = create_app(Settings(database_url="sqlite://", secret_key="test-secret"))
    found = []
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute):
            continue
        path, query = integer_parameters(route.dependant)
        for method in sorted(route.methods or ()) if path or query else ():
            found.append((method, route.path_format or "", path, query))
    return found


NUMBERED = numbered_routes()


def test_every_route_with_a_number_is_found() -> None:
    assert {("GET", "/api/v1/jobs/{job_id}"), ("DELETE", "/api/v1/tokens/{token_id}")} <= {
        (m, p) for m, p, _, _ in NUMBERED
    }


@pytest.mark.parametrize(
    ("method", "path", "path_numbers", "query_numbers"),
    NUMBERED,
    ids=[f"{m} {p}" for m, p, *_ in NUMBERED],
)
def test_numbers_beyond_the_databases_integers_get_a_4xx(
    client: TestClient, method: str, path: str, path_numbers: set[str], query_numbers: set[str]
) -> None:
    seed_staff(engine_of(client))
    headers = bearer(engine_of(client), "admin")
    for name in path_numbers:
        path = path.replace("{" + name + "}", HUGE_NUMBER)
    query = {name: HUGE_NUMBER for name in query_numbers}
    before = row_counts(client)
    reply = client.request(method, url_of(path), params=query, headers=headers)
    assert 400 <= reply.status_code < 500, reply.text[:300]
    assert row_counts(client) == before
