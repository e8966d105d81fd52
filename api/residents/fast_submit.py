"""The fast path of ``POST /api/v1/responses``: a new submission by open link, on the event loop.

Why: under 64 concurrent clients the route ran at 0.25 of the trivial endpoint (P5), and a
do-nothing ``def`` POST route with a session reaches only 0.48–0.55 of it (the bench's floor,
bench/_floor_app.py), against 0.81 for a do-nothing ``async def``: the thread-pool hops
(~0.4 ms each on a loaded server) took most of the budget before any work. Here the route
stays on the event loop. Its reads run as one job on the engine's database threads
(survey/storage/db_thread.py), the checks and the row's preparation run on the loop (pure
computation, ~0.3 ms), and the row goes to the group committer, whose durable acknowledgement
is awaited without holding a thread.

Same rules, same order, same errors as the full path (``create_in_session``): the job runs the
same admission (api/residents/admission.py: credential, client id, rate limit, wave
accepting, the draft's owner), then validation and grids (422), the near-duplicate flag and
the row. What the fast path does not decide it hands back (``None``),
never having stored anything: a client id already stored (an identical retry or a 409,
answered from the stored row; nothing counted yet), and, after the rate limit has counted the
hit, a row that lost the insert race to an identical tap (answered as a retry, which is not
limited) and a draft whose server start lies in the future (a clock set back: the full path
says so, and counts the hit a second time).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlmodel import Session

from api.residents.admission import Admission, admit
from api.settings import Settings
from api.web.ratelimit import client_address
from survey.errors import AnswerValidationError
from survey.grids import grid_problems
from survey.storage.db_thread import database_thread_for
from survey.storage.encoding import encode_numeric
from survey.storage.group_commit import committer_for
from survey.storage.intake import NEAR_DUPLICATE, is_near_duplicate, recent_vectors
from survey.storage.registry import questionnaire_for_wave
from survey.storage.responses import Receipt, new_row_values, payload_hash
from survey.storage.sources import source_hash


@dataclass(frozen=True)
class _Looked:
    """What the database said about a new submission, read in one job."""

    admission: Admission
    questionnaire: Any
    recent: list[bytes]  # the community's recent packed vectors (near-duplicate check)


def _look_up(session: Session, body: Any, request: Request, settings: Settings) -> _Looked | None:
    """The submission's reads and the checks that need them (on the database thread); None for
    a client id already stored (the full path answers it from the stored row)."""
    admission = admit(session, request, settings, body)
    if admission.stored is not None:
        return None
    wave, community = admission.credential.wave, admission.credential.community
    assert wave.id is not None and community.id is not None
    return _Looked(
        admission=admission,
        questionnaire=questionnaire_for_wave(session=session, wave=wave),
        recent=recent_vectors(session=session, wave_id=wave.id, community_id=community.id),
    )


async def submit_by_link(
    body: Any, request: Request, settings: Settings
) -> tuple[Receipt, bool] | None:
    """Store a new submission: its receipt and whether its duration is known, or ``None`` when
    the full path must answer it (nothing was stored then; see the module's note on what may
    have been counted)."""
    engine = request.app.state.engine
    looked = await database_thread_for(engine).run(
        lambda session: _look_up(session, body, request, settings)
    )
    if looked is None:
        return None
    admission = looked.admission
    wave, community = admission.credential.wave, admission.credential.community
    started_at = admission.draft.started_at if admission.draft is not None else None
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
        client_id=admission.client_id,
        cleaned=cleaned,
        digest=payload_hash(wave=wave.code, community=community.code, answers=cleaned),
        started_at=started_at,
        channel=admission.credential.channel,
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
        response_id, admission.client_id, created=True, submitted_at=values["submitted_at"]
    )
    return receipt, started_at is not None
