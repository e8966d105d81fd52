"""Answers in progress, stored on the server per client id, so nothing is lost on the way.

A draft is created on the first page the resident sends (not when the form is served: opening a
link stores nothing), started at the moment the form was served (the response's ``started_at``),
and every page the resident sends is merged into it, keeping only answers that are valid on their
own (types, ranges, options). Skip logic and required items are judged at submission, on the
whole set. The draft outlives the submission for a while, so an identical retry of the final
"submit" can still be recognised as one; ``purge_drafts`` removes old ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, delete, select

from survey.errors import AnswerValidationError, FieldProblem, NotFoundError
from survey.grids import grid_problems
from survey.questionnaire.model import Questionnaire
from survey.questionnaire.paging import merge_page
from survey.storage.access import InvitationUsedError, claim_invitation, link_invitation
from survey.storage.encoding import encode_numeric
from survey.storage.intake import HONEYPOT, near_duplicate_flags
from survey.storage.models import Community, Draft, Invitation, Response, Wave
from survey.storage.registry import questionnaire_for_wave
from survey.storage.responses import Prepared, Receipt, submit_response

MAX_PAGE = 1000  # a sanity bound on the stored page number; real forms have about ten
# The draft was lost (purged) and re-created mid-form: its start time is not the real one.
RESTARTED = "restarted"


@dataclass(frozen=True)
class PageSave:
    """The outcome of saving one page: the draft's answers now, and what was left out."""

    answers: dict[str, Any]
    problems: list[FieldProblem]


def start_draft(
    *,
    session: Session,
    wave: Wave,
    community_id: int,
    invitation: Invitation | None = None,
    client_id: str | None = None,
    flags: Iterable[str] = (),
    started_at: datetime | None = None,
) -> Draft:
    """A new, empty draft (a fresh uuid4 unless ``client_id`` is given), started at
    ``started_at`` (default now). Commits."""
    assert wave.id is not None
    now = datetime.now(UTC)
    draft = Draft(
        client_id=client_id or str(uuid.uuid4()),
        wave_id=wave.id,
        community_id=community_id,
        invitation_id=invitation.id if invitation is not None else None,
        answers={},
        page=0,
        flags=list(flags),
        started_at=started_at or now,
        updated_at=now,
    )
    session.add(draft)
    session.commit()
    return draft


def get_draft(*, session: Session, client_id: str) -> Draft | None:
    return session.exec(select(Draft).where(Draft.client_id == client_id)).first()


def belongs_to(
    draft: Draft, *, wave: Wave, community_id: int, invitation: Invitation | None
) -> bool:
    """Whether the draft was started from this very link or code (never another community's)."""
    invitation_id = invitation.id if invitation is not None else None
    return (
        draft.wave_id == wave.id
        and draft.community_id == community_id
        and draft.invitation_id == invitation_id
    )


def save_page(
    *,
    session: Session,
    draft: Draft,
    questionnaire: Questionnaire,
    codes: Iterable[str],
    page_answers: Mapping[str, Any],
    page: int | None = None,
    flags: Iterable[str] = (),
) -> PageSave:
    """Merge one page into the draft and commit; answers that are wrong on their own are left
    out of the draft (and reported), the page's other answers are kept."""
    merged = merge_page(draft.answers, codes, page_answers)
    problems: list[FieldProblem] = []
    try:
        cleaned = questionnaire.validate_partial(merged)
    except AnswerValidationError as error:
        problems = error.problems
        bad = {p.field for p in problems}
        cleaned = questionnaire.validate_partial(
            {code: value for code, value in merged.items() if code not in bad}
        )
    draft.answers = cleaned
    if page is not None:
        draft.page = max(0, min(page, MAX_PAGE))
    new_flags = [flag for flag in flags if flag not in draft.flags]
    if new_flags:
        draft.flags = [*draft.flags, *new_flags]
    draft.updated_at = datetime.now(UTC)
    session.add(draft)
    session.commit()
    return PageSave(answers=cleaned, problems=problems)


def set_page(*, session: Session, draft: Draft, page: int) -> None:
    draft.page = max(0, min(page, MAX_PAGE))
    draft.updated_at = datetime.now(UTC)
    session.add(draft)
    session.commit()


def discard_draft(*, session: Session, draft: Draft) -> None:
    """Forget a draft entirely (the age gate ended the survey: nothing of it is kept)."""
    session.delete(draft)
    session.commit()


def purge_drafts(*, session: Session, older_than: datetime) -> int:
    """Delete drafts untouched since ``older_than``; returns how many. Commits."""
    result = session.exec(delete(Draft).where(col(Draft.updated_at) < older_than))
    session.commit()
    return int(result.rowcount)


def submit_draft(
    *, session: Session, draft: Draft, channel: str = "web", source_hash: str = ""
) -> Receipt:
    """Submit a finished draft through :func:`submit_entry`, from the draft's server-side start
    time (unknown when the draft was lost and re-created mid-form)."""
    wave = session.get(Wave, draft.wave_id)
    community = session.get(Community, draft.community_id)
    if wave is None or community is None:  # pragma: no cover - foreign keys forbid it
        raise NotFoundError("the draft's wave or community no longer exists")
    return submit_entry(
        session=session,
        wave=wave,
        community=community,
        client_id=draft.client_id,
        answers=draft.answers,
        started_at=None if RESTARTED in draft.flags else draft.started_at,
        channel=channel,
        honeypot=HONEYPOT in draft.flags,
        invitation_id=draft.invitation_id,
        source_hash=source_hash,
    )


def submit_entry(
    *,
    session: Session,
    wave: Wave,
    community: Community,
    client_id: str,
    answers: dict[str, Any],
    started_at: datetime | None,
    channel: str,
    honeypot: bool = False,
    invitation_id: int | None = None,
    enumerator_id: int | None = None,
    client_started_at: datetime | None = None,
    source_hash: str = "",
    stored: bool | None = None,
) -> Receipt:
    """Submit answers through :func:`survey.storage.responses.submit_response`, whichever way
    they came in (form, JSON API, enumerator).

    On top of that: the intake flags (honeypot seen while filling, near-duplicate of a recent
    response), and, for an invitation, claiming the code in the same transaction as the
    response, so a code carries exactly one response or none.

    ``stored``: whether the caller has just looked ``client_id`` up and found it stored (then
    it is not looked up again); a row stored since is still caught by the UNIQUE client id.
    """
    if stored is None:
        found = session.exec(select(Response.id).where(Response.client_id == client_id)).first()
        stored = found is not None
    retry = stored
    common: dict[str, Any] = {
        "session": session,
        "wave_code": wave.code,
        "community_code": community.code,
        "client_id": client_id,
        "answers": answers,
        "started_at": started_at,
        "channel": channel,
        "honeypot": honeypot,
        "client_started_at": client_started_at,
        "enumerator_id": enumerator_id,
        "source_hash": source_hash,
    }
    if retry:
        return submit_response(**common)  # a retry: the original receipt, or a 409
    questionnaire = questionnaire_for_wave(session=session, wave=wave)
    cleaned = questionnaire.validate_answers(answers)
    # The register's grids, where it lists them, are the only grid answers (survey/grids.py).
    problems = grid_problems(community.grids or [], cleaned)
    if problems:
        raise AnswerValidationError(problems)
    assert wave.id is not None and community.id is not None
    flags = near_duplicate_flags(
        session=session,
        wave_id=wave.id,
        community_id=community.id,
        vector=encode_numeric(questionnaire, cleaned),
    )
    prepared = Prepared(wave, community, questionnaire, cleaned)
    try:
        if invitation_id is not None:
            # Pending in this session: submit_response's commit stores the claim and the
            # response together, and any failure before it rolls both back.
            claim_invitation(session=session, invitation_id=invitation_id)
        receipt = submit_response(
            **common,
            prepared=prepared,
            extra_flags=tuple(flags),
            # The code's claim and the response commit together, in this session.
            with_session=invitation_id is not None,
        )
    except InvitationUsedError:
        session.rollback()
        # Two identical taps racing: the other one claimed the code for this very client id.
        if session.exec(select(Response.id).where(Response.client_id == client_id)).first():
            return submit_response(**common)
        raise
    except BaseException:
        session.rollback()
        raise
    if not receipt.created:
        session.rollback()  # a concurrent identical submission won; release nothing, keep its row
    elif invitation_id is not None:
        link_invitation(
            session=session, invitation_id=invitation_id, response_id=receipt.response_id
        )
    return receipt
