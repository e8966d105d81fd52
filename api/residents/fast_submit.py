"""The fast path of ``POST /api/v1/responses``: a new submission by open link, on the event loop.

Why: under 64 concurrent clients the route ran at 0.25 of the trivial endpoint (P5), and a
do-nothing ``def`` POST route with a session reaches only 0.48–0.55 of it (the bench's floor,
bench/_floor_app.py), against 0.81 for a do-nothing ``async def``: the thread-pool hops
(~0.4 ms each on a loaded server) took most of the budget before any work. Here the route
stays on the event loop. Its reads run as one job on the engine's database threads
(survey/storage/db_thread.py), the checks and the row's preparation run on the loop (pure
computation, ~0.3 ms), and the row goes to the group committer, whose durable acknowledgement
is awaited without holding a thread.

Same rules, same order, same errors as the full path (``create_in_session``), because the
job calls the same functions: credential (401/403/422), client id (422), rate limit (429),
wave accepting (409), the draft's owner (409), then validation and grids (422), the
near-duplicate flag and the row. What the fast path does not decide it hands back (``None``),
never having stored anything: a client id already stored (an identical retry or a 409,
answered from the stored row; nothing counted yet), and, after the rate limit has counted the
hit, a row that lost the insert race to an identical tap (answered as a retry, which is not
limited) and a draft whose server start lies in the future (a clock set back: the full path
says so, and counts the hit a second time).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import HTTPException, Request
from sqlmodel import Session

from api.residents.credentials import Credential, resolve_credential
from api.settings import Settings
from api.web.ratelimit import client_address, enforce
from survey.errors import AnswerValidationError
from survey.grids import grid_problems
from survey.storage.access import check_accepting
from survey.storage.db_thread import database_thread_for
from survey.storage.drafts import belongs_to, get_draft
from survey.storage.encoding import encode_numeric
from survey.storage.group_commit import committer_for
from survey.storage.intake import NEAR_DUPLICATE, is_near_duplicate, recent_vectors
from survey.storage.intake_reads import stored_or_drafted
from survey.storage.models import Draft
from survey.storage.registry import questionnaire_for_wave
from survey.storage.responses import (
    Receipt,
    check_client_id,
    new_row_values,
    payload_hash,
)
from survey.storage.sources import source_hash


@dataclass(frozen=True)
class _Looked:
    """What the database said about a new submission, read in one job."""

    credential: Credential
    client_id: str
    started_at: datetime | None  # the draft's server start, if the client id has one
    questionnaire: Any
    recent: list[bytes]  # the community's recent packed vectors (near-duplicate check)


def own_draft(session: Session, credential: Credential, client_id: str) -> Draft | None:
    """The client id's draft, or None; 409 when it was started with another credential."""
    draft = get_draft(session=session, client_id=client_id)
    if draft is None:
        return None
    if not belongs_to(
        draft,
        wave=credential.wave,
        community_id=credential.community.id or 0,
        invitation=credential.invitation,
    ):
        raise HTTPException(409, "this client_id was started with another credential")
    return draft


def _look_up(session: Session, body: Any, request: Request, settings: Settings) -> _Looked | None:
    """The submission's reads and the checks that need them (on the database thread)."""
    credential = resolve_credential(
        request=request,
        session=session,
        settings=settings,
        link=body.link,
        invitation=body.invitation,
        wave_code=body.wave,
        community_code=body.community,
    )
    client_id = check_client_id(body.client_id)
    stored, drafted = stored_or_drafted(session=session, client_id=client_id)
    if stored is not None:
        return None  # a retry: answered from the stored row by the full path, never limited
    enforce(request, session, settings, "submit")
    check_accepting(credential.wave)
    draft = own_draft(session, credential, client_id) if drafted else None
    wave, community = credential.wave, credential.community
    assert wave.id is not None and community.id is not None
    return _Looked(
        credential=credential,
        client_id=client_id,
        started_at=draft.started_at if draft is not None else None,
        questionnaire=questionnaire_for_wave(session=session, wave=wave),
        recent=recent_vectors(session=session, wave_id=wave.id, community_id=community.id),
    )


async def submit_by_link(
    body: Any, request: Request, settings: Settings
) -> tuple[Receipt, bool] | None:
    """Store a new submission: its receipt and whether its duration is known, or ``None`` when
    the full path must answer it (nothing was counted or stored then)."""
    engine = request.app.state.engine
    looked = await database_thread_for(engine).run(
        lambda session: _look_up(session, body, request, settings)
    )
    if looked is None:
        return None
    wave, community = looked.credential.wave, looked.credential.community
    questionnaire = looked.questionnaire
    cleaned = questionnaire.validate_answers(body.answers)
    # The register's grids, where it lists them, are the only grid answers (survey/grids.py).
    problems = grid_problems(community.grids or [], cleaned)
    if problems:
        raise AnswerValidationError(problems)
    vector = encode_numeric(questionnaire, cleaned)
    flags = (NEAR_DUPLICATE,) if is_near_duplicate(vector, looked.recent) else ()
    values = new_row_values(
        wave=wave,
        community=community,
        questionnaire=questionnaire,
        client_id=looked.client_id,
        cleaned=cleaned,
        digest=payload_hash(wave=wave.code, community=community.code, answers=cleaned),
        started_at=looked.started_at,
        channel=looked.credential.channel,
        extra_flags=flags,
        client_started_at=body.started_at,
        source_hash=source_hash(
            secret=settings.secret_key,
            wave_code=wave.code,
            address=client_address(request, settings),
        ),
        numeric=vector,
    )
    if values is None:
        return None  # a start in the future: the full path says so (or answers a retry)
    response_id = await asyncio.wrap_future(committer_for(engine).insert_later(values))
    if response_id is None:
        return None  # an identical tap was stored first: the full path answers as a retry
    receipt = Receipt(
        response_id, looked.client_id, created=True, submitted_at=values["submitted_at"]
    )
    return receipt, looked.started_at is not None
