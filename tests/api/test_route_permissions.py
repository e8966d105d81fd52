"""Every route × every kind of caller → the expected status (RELIABILITY.md, Access and abuse).

The routes come from the app itself, so a route without a rule in ``RULES`` fails the test:
whoever adds a route must say who may call it. Each rule names an access policy and the status an
allowed caller gets for the request the rule describes (chosen so that it changes nothing that
later requests depend on). Denied callers get, by policy:

- no staff login (anonymous, or a resident with the survey's cookies): 401 on ``/api/``,
  303 to ``/login?next=...`` on pages;
- a signed-in user whose role may not: 403;
- an official asking for a community or street outside their scope: 404, as if it did not exist.

Form posts carry a valid CSRF token for every caller, so the table tests access, not CSRF.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.settings import Settings
from api.web.csrf import CSRF_COOKIE, signed_token
from survey.storage.access import format_code, open_link_token
from survey.storage.actions import ActionFields, create_action
from tests.support.staff import seed_staff, session_cookie, store_snapshot

CALLERS = (
    "anonymous",
    "resident",
    "admin",
    "researcher",
    "district",
    "street",
    "other_street",
    "community",
)
STAFF_CALLERS = CALLERS[2:]

# Policies: who gets the rule's ``ok`` status; everyone else is denied as described above.
PUBLIC = "public"  # everyone, residents included
STAFF = "staff"  # any signed-in staff user, whatever the scope
COMMUNITY_C1 = "community C1"  # staff whose scope includes community C1 (street S1)
STREET_S1 = "street S1"  # staff who may see street S1's communities one by one
STREET_S1_AGGREGATE = "street S1 aggregate"  # also C1's community official (own street's mean)
RESEARCH = "research"  # admins and researchers
ADMIN = "admin"
WRITER = "action writer"  # officials (any scope) and admins; researchers read only (403)
ACTION_C1 = "action writer for C1"  # officials whose scope includes C1, and admins


@dataclass(frozen=True)
class Rule:
    policy: str
    ok: int
    path: str = ""  # the concrete URL; default: the route's path with PATH_VALUES filled in
    query: str = ""
    body: dict[str, Any] | None = None  # JSON for /api/, form fields (plus CSRF) for pages
    overrides: dict[str, int] = field(default_factory=dict)  # caller → status, when it differs


RULES: dict[tuple[str, str], Rule] = {
    # framework and health
    ("GET", "/openapi.json"): Rule(PUBLIC, 200),
    ("GET", "/docs"): Rule(PUBLIC, 200),
    ("GET", "/favicon.ico"): Rule(PUBLIC, 200),
    ("GET", "/redoc"): Rule(PUBLIC, 200),
    ("GET", "/static"): Rule(PUBLIC, 200, path="/static/meihao.css"),
    ("GET", "/static/apidocs"): Rule(PUBLIC, 200, path="/static/apidocs/swagger-ui.css"),
    ("GET", "/healthz"): Rule(PUBLIC, 200),
    ("GET", "/api/v1/ping"): Rule(PUBLIC, 200),
    ("GET", "/"): Rule(PUBLIC, 200),
    # the landing page fitted to the scope: a 302 to it (the 303 is the sign-in redirect)
    ("GET", "/start"): Rule(STAFF, 302),
    # residents
    ("POST", "/api/v1/responses"): Rule(PUBLIC, 422),  # an empty body: rejected, nothing stored
    ("POST", "/api/v1/responses/start"): Rule(PUBLIC, 422),
    ("GET", "/s/{token}"): Rule(PUBLIC, 200),
    # a page post without a client id: the page is shown again with the problem (nothing saved)
    ("POST", "/s/{token}"): Rule(PUBLIC, 400),
    ("POST", "/s/{token}/draft"): Rule(PUBLIC, 400),
    ("GET", "/i"): Rule(PUBLIC, 200),
    ("GET", "/i/{code}"): Rule(PUBLIC, 200),
    ("POST", "/i/{code}"): Rule(PUBLIC, 400),
    ("POST", "/i/{code}/draft"): Rule(PUBLIC, 400),
    # signing in
    ("GET", "/login"): Rule(PUBLIC, 200, overrides={c: 303 for c in STAFF_CALLERS}),
    ("POST", "/login"): Rule(PUBLIC, 400),  # no username or password
    ("POST", "/logout"): Rule(PUBLIC, 303),
    ("GET", "/logout"): Rule(PUBLIC, 303, overrides={c: 200 for c in STAFF_CALLERS}),
    ("POST", "/api/v1/tokens"): Rule(STAFF, 201),  # a signed-in user gets a token
    ("DELETE", "/api/v1/tokens/{token_id}"): Rule(STAFF, 404),  # no such token of theirs
    ("GET", "/api/v1/me"): Rule(STAFF, 200),
    # results for officials (within their scope)
    ("GET", "/api/v1/waves"): Rule(STAFF, 200),
    ("GET", "/api/v1/waves/{wave}/rankings"): Rule(STAFF, 200),
    ("GET", "/api/v1/waves/{wave}/summary"): Rule(STAFF, 200),
    ("GET", "/api/v1/waves/{wave}/communities/{community}/scorecard"): Rule(COMMUNITY_C1, 200),
    ("GET", "/api/v1/communities/{community}/trend"): Rule(COMMUNITY_C1, 200),
    ("GET", "/api/v1/streets/{street}/trend"): Rule(STREET_S1_AGGREGATE, 200),
    ("GET", "/api/v1/district/trend"): Rule(STAFF, 200),
    # did it work? (an action that does not exist: 404 for everyone signed in)
    ("GET", "/api/v1/actions/{action_id}/effect"): Rule(
        STAFF, 404, path="/api/v1/actions/999/effect"
    ),
    ("GET", "/api/v1/action-effects"): Rule(STREET_S1, 200, query="scope=street:S1"),
    ("GET", "/api/v1/waves/{wave}/exports/rankings.{fmt}"): Rule(STAFF, 200),
    ("GET", "/api/v1/waves/{wave}/exports/scorecards.{fmt}"): Rule(STAFF, 200),
    ("GET", "/waves/{wave}"): Rule(STAFF, 200),
    ("GET", "/waves/{wave}/communities/{community}"): Rule(COMMUNITY_C1, 200),
    ("GET", "/waves/{wave}/streets/{street}"): Rule(STREET_S1, 200),
    ("GET", "/trends"): Rule(STAFF, 200),
    ("GET", "/trends/communities/{community}"): Rule(COMMUNITY_C1, 200),
    ("GET", "/trends/streets/{street}"): Rule(STREET_S1_AGGREGATE, 200),
    # research
    ("GET", "/api/v1/waves/{wave}/exports/responses.{fmt}"): Rule(RESEARCH, 200),
    ("GET", "/api/v1/waves/{wave}/exports/codebook.{fmt}"): Rule(RESEARCH, 200),
    ("GET", "/api/v1/waves/{wave}/reference"): Rule(RESEARCH, 200),
    ("GET", "/api/v1/weight-models"): Rule(STAFF, 200),
    ("GET", "/api/v1/weight-models/{name}"): Rule(STAFF, 200),
    ("GET", "/api/v1/weight-models/{name}/{version}"): Rule(STAFF, 200),
    ("POST", "/api/v1/weight-models"): Rule(RESEARCH, 422),  # an empty model is refused
    ("PUT", "/api/v1/weight-models/{name}/{version}"): Rule(RESEARCH, 409),  # immutable
    ("POST", "/api/v1/weight-models/{name}/{version}/retire"): Rule(
        RESEARCH, 404, path="/api/v1/weight-models/nope/1/retire"
    ),
    ("PUT", "/api/v1/waves/{wave}/default-model"): Rule(RESEARCH, 422),
    # open-text themes: the model lifecycle, and a community's or street's themes (W1 is open)
    ("GET", "/api/v1/theme-models"): Rule(STAFF, 200),
    ("GET", "/api/v1/theme-models/{name}"): Rule(STAFF, 404, path="/api/v1/theme-models/nope"),
    ("POST", "/api/v1/theme-models"): Rule(RESEARCH, 422),  # an empty body is refused
    ("POST", "/api/v1/theme-models/{name}/labels"): Rule(
        RESEARCH, 422, path="/api/v1/theme-models/nope/labels"
    ),
    ("POST", "/api/v1/theme-models/{name}/{version}/retire"): Rule(
        RESEARCH, 404, path="/api/v1/theme-models/nope/1/retire"
    ),
    ("GET", "/api/v1/waves/{wave}/communities/{community}/themes"): Rule(COMMUNITY_C1, 409),
    ("GET", "/api/v1/waves/{wave}/streets/{street}/themes"): Rule(STREET_S1, 409),
    ("GET", "/api/v1/waves/{wave}/compare"): Rule(RESEARCH, 422),  # needs ?a= and ?b=
    ("POST", "/api/v1/snapshots/{snapshot_id}/reproduce"): Rule(
        RESEARCH, 404, path="/api/v1/snapshots/999999/reproduce"
    ),
    ("POST", "/api/v1/waves/{wave}/snapshots"): Rule(RESEARCH, 404, query="model=nope"),
    # administration
    ("POST", "/api/v1/waves/{wave}/close"): Rule(ADMIN, 404, path="/api/v1/waves/NOPE/close"),
    ("GET", "/api/v1/jobs/{job_id}"): Rule(RESEARCH, 404),
    ("GET", "/admin/waves/{wave}/posters"): Rule(ADMIN, 200),
    ("GET", "/admin/waves/{wave}/posters/{community}"): Rule(ADMIN, 200),
    ("GET", "/admin/waves/{wave}/communities/{community}/invitations"): Rule(ADMIN, 200),
    ("POST", "/admin/waves/{wave}/communities/{community}/invitations"): Rule(ADMIN, 422),
    ("GET", "/admin/waves/{wave}/batches"): Rule(ADMIN, 200),
    ("POST", "/admin/waves/{wave}/batches/{batch_id}"): Rule(
        ADMIN, 422, path="/admin/waves/W1/batches/1"
    ),
    ("GET", "/admin/district"): Rule(ADMIN, 200),
    ("POST", "/admin/district"): Rule(ADMIN, 422),  # no file
    ("GET", "/admin/district/template.xlsx"): Rule(ADMIN, 200),
    ("GET", "/admin/questionnaires"): Rule(ADMIN, 200),
    ("GET", "/admin/questionnaires/{slug}/{version}/preview"): Rule(
        ADMIN, 200, path="/admin/questionnaires/meihao/1/preview"
    ),
    ("GET", "/admin/questionnaires/{slug}/diff"): Rule(
        ADMIN, 200, path="/admin/questionnaires/meihao/diff", query="v1=1&v2=1"
    ),
    ("POST", "/admin/questionnaires/{slug}/{version}/publish"): Rule(
        ADMIN,
        409,
        path="/admin/questionnaires/meihao/1/publish",  # already published
    ),
    ("GET", "/admin/waves"): Rule(ADMIN, 200),
    ("POST", "/admin/waves"): Rule(ADMIN, 422),  # no form
    ("POST", "/admin/waves/{code}/{action}"): Rule(ADMIN, 404, path="/admin/waves/NOPE/open"),
    # action plans (整改事项): the world holds one action of community C1
    ("GET", "/api/v1/actions"): Rule(STAFF, 200),
    ("POST", "/api/v1/actions"): Rule(WRITER, 422),  # an empty body: nothing created
    ("GET", "/api/v1/actions/export.xlsx"): Rule(STAFF, 200),
    ("GET", "/api/v1/actions/{action_id}"): Rule(COMMUNITY_C1, 200),
    ("PATCH", "/api/v1/actions/{action_id}"): Rule(ACTION_C1, 200),  # {}: changes nothing
    ("POST", "/api/v1/actions/{action_id}/notes"): Rule(ACTION_C1, 400),  # an empty note
    ("GET", "/actions"): Rule(STAFF, 200),
    ("POST", "/actions"): Rule(WRITER, 400),  # no community or street named
    ("GET", "/actions/{action_id}"): Rule(COMMUNITY_C1, 200),
    ("POST", "/actions/{action_id}"): Rule(ACTION_C1, 400),  # no title: nothing changed
    ("POST", "/actions/{action_id}/notes"): Rule(ACTION_C1, 400),  # an empty note
    # the residents' public results (no sign-in)
    ("GET", "/p/{wave}/{community}"): Rule(PUBLIC, 200),
    ("GET", "/p/{wave}/{community}/print"): Rule(PUBLIC, 200),
    ("GET", "/api/v1/public/waves/{wave}/communities/{community}"): Rule(PUBLIC, 200),
    ("GET", "/admin/staff"): Rule(ADMIN, 200),
    ("POST", "/admin/staff"): Rule(ADMIN, 422),  # no username or role
    ("POST", "/admin/staff/{username}/disable"): Rule(ADMIN, 404),  # no such account
    ("POST", "/admin/staff/{username}/enable"): Rule(ADMIN, 404),
    ("POST", "/admin/staff/{username}/password"): Rule(ADMIN, 404),
    ("POST", "/admin/staff/{username}/tokens"): Rule(ADMIN, 404),
    ("POST", "/admin/tokens/{token_id}/revoke"): Rule(ADMIN, 404),
    ("GET", "/admin/audit"): Rule(ADMIN, 200),
}


def expected(rule: Rule, caller: str, url: str) -> int:
    if caller in rule.overrides:
        return rule.overrides[caller]
    if rule.policy == PUBLIC:
        return rule.ok
    if caller in ("anonymous", "resident"):
        return 401 if url.startswith("/api/") else 303
    if rule.policy == ADMIN:
        return rule.ok if caller == "admin" else 403
    if rule.policy == RESEARCH:
        return rule.ok if caller in ("admin", "researcher") else 403
    if rule.policy in (WRITER, ACTION_C1):
        if caller == "researcher":
            return 403
        return 404 if rule.policy == ACTION_C1 and caller == "other_street" else rule.ok
    out_of_scope = {
        STAFF: set(),
        COMMUNITY_C1: {"other_street"},
        STREET_S1: {"other_street", "community"},
        STREET_S1_AGGREGATE: {"other_street"},
    }[rule.policy]
    return 404 if caller in out_of_scope else rule.ok


def app_routes(client: TestClient) -> list[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        methods = route.methods or {"GET"}  # a mount (static files) has none
        for method in methods - {"HEAD"}:
            found.add((method, str(route.path)))
    return sorted(found, key=lambda mp: (mp[1], mp[0]))


@pytest.fixture
def world(client: TestClient, settings: Settings) -> dict[str, Any]:
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    seed_staff(engine)
    store_snapshot(engine)
    from survey.storage.access import create_invitations
    from survey.storage.db import session_scope
    from survey.storage.models import Wave
    from survey.storage.registry import get_community, get_wave

    with session_scope(engine) as session:
        # Codes open only invitation-mode waves (W1 takes its open link): a second wave for them.
        w1 = get_wave(session=session, code="W1")
        w2 = Wave(code="W2", questionnaire_id=w1.questionnaire_id, access_mode="invitation")
        session.add(w2)
        session.flush()
        code = create_invitations(
            session=session,
            wave=w2,
            community=get_community(session=session, code="C1"),
            count=1,
        )[0]
    with session_scope(engine) as session:
        action_id = create_action(
            session=session,
            scope_level="community",
            scope_code="C1",
            fields=ActionFields(title="加装电梯", codes=["D1"]),
            actor="admin",
        ).id
    token = open_link_token(secret=settings.secret_key, wave_code="W1", community_code="C1")
    nonce = secrets.token_urlsafe(32)
    cookies: dict[str, dict[str, str]] = {"anonymous": {}}
    resident = TestClient(client.app)
    assert resident.get(f"/s/{token}").status_code == 200
    cookies["resident"] = dict(resident.cookies)
    for caller in STAFF_CALLERS:
        cookies[caller] = {**session_cookie(engine, settings, caller), CSRF_COOKIE: nonce}
    cookies["anonymous"] = {CSRF_COOKIE: nonce}
    cookies["resident"][CSRF_COOKIE] = nonce
    return {
        "engine": engine,
        "cookies": cookies,
        "csrf": signed_token(settings, nonce),
        "values": {
            "wave": "W1",
            "community": "C1",
            "street": "S1",
            "token": token,
            "code": format_code(code),
            "fmt": "csv",
            "name": "equal",
            "version": "1",
            "token_id": "999999",
            "slug": "meihao",
            "action": "open",
            "snapshot_id": "999999",
            "job_id": "999999",
            "batch_id": "999999",
            "action_id": str(action_id),
            "username": "nobody",
        },
    }


def request_for(route: tuple[str, str], rule: Rule, values: dict[str, str]) -> str:
    url = rule.path or route[1].format(**values)
    return f"{url}?{rule.query}" if rule.query else url


def test_every_route_has_a_rule(client: TestClient) -> None:
    missing = [
        f"{method} {path}" for method, path in app_routes(client) if (method, path) not in RULES
    ]
    assert not missing, "routes without an access rule in RULES:\n  " + "\n  ".join(missing)
    stale = [f"{m} {p}" for m, p in RULES if (m, p) not in set(app_routes(client))]
    assert not stale, "rules for routes that no longer exist:\n  " + "\n  ".join(stale)


def test_route_by_caller_statuses(
    client: TestClient, world: dict[str, Any], settings: Settings
) -> None:
    wrong: list[str] = []
    for route in app_routes(client):
        rule = RULES.get(route)
        if rule is None:
            continue  # reported by test_every_route_has_a_rule
        url = request_for(route, rule, world["values"])
        method = route[0]
        for caller in CALLERS:
            # as a browser on this site sends it (cross-site requests: tests/api/test_cross_site.py)
            caller_client = TestClient(
                client.app,
                cookies=world["cookies"][caller],
                headers={"Origin": "http://testserver"},
            )
            kwargs: dict[str, Any] = {"follow_redirects": False}
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                if url.startswith("/api/"):
                    if method != "DELETE":
                        kwargs["json"] = rule.body or {}
                else:
                    kwargs["data"] = {**(rule.body or {}), "csrf_token": world["csrf"]}
            response = caller_client.request(method, url, **kwargs)
            if url == "/logout" and caller in STAFF_CALLERS:  # sign-out ended the session
                cookies = world["cookies"][caller]
                cookies.update(session_cookie(world["engine"], settings, caller))
            want = expected(rule, caller, url)
            got = response.status_code
            redirect = response.headers.get("location", "")
            if (
                got == want == 303
                and rule.policy != PUBLIC
                and not redirect.startswith("/login?next=")
            ):
                got = -303  # redirected, but not to the login page
            if got != want:
                wrong.append(
                    f"{method} {url} as {caller}: expected {want}, got {got} "
                    f"{response.text[:120]!r}"
                )
    assert not wrong, f"{len(wrong)} unexpected statuses:\n  " + "\n  ".join(wrong)
