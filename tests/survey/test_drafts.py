"""Drafts, paging and intake: what the form stores on the way, and what a submission carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from survey.questionnaire import paging
from survey.questionnaire.model import Questionnaire, load_default
from survey.storage.access import InvitationUsedError, claim_invitation, create_invitations
from survey.storage.db import session_scope
from survey.storage.drafts import (
    RESTARTED,
    get_draft,
    purge_drafts,
    save_page,
    start_draft,
    submit_draft,
)
from survey.storage.encoding import DTYPE, encode_numeric
from survey.storage.intake import HONEYPOT, MAX_DIFFERENT_SLOTS, NEAR_DUPLICATE, is_near_duplicate
from survey.storage.models import Community, Draft, Invitation, Response, Wave
from tests.support.factories import complete_answers, seed_minimal


def _ids(session: Session, community: str = "C1") -> tuple[Wave, int]:
    wave = session.exec(select(Wave).where(Wave.code == "W1")).one()
    c = session.exec(select(Community).where(Community.code == community)).one()
    assert c.id is not None
    return wave, c.id


def _draft(engine: Engine, answers: dict[str, Any] | None = None, **kw: Any) -> str:
    with Session(engine, expire_on_commit=False) as session:
        wave, community_id = _ids(session)
        draft = start_draft(session=session, wave=wave, community_id=community_id, **kw)
        if answers:
            draft.answers = dict(answers)
            session.add(draft)
            session.commit()
        return draft.client_id


def test_a_page_is_merged_keeping_valid_answers_and_naming_the_rest(engine: Engine) -> None:
    seed_minimal(engine)
    q = load_default()
    client_id = _draft(engine)
    codes = paging.page_codes(q, 1)
    with Session(engine) as session:
        draft = get_draft(session=session, client_id=client_id)
        assert draft is not None
        first = save_page(
            session=session,
            draft=draft,
            questionnaire=q,
            codes=codes,
            page_answers={codes[0]: 5, codes[1]: 7, codes[2]: "x"},
            page=1,
        )
        assert [p.field for p in first.problems] == [codes[1], codes[2]]
        assert first.answers == {codes[0]: 5}
        # Sending the page again without an answer clears it: the page is replaced, not added to.
        second = save_page(
            session=session,
            draft=draft,
            questionnaire=q,
            codes=codes,
            page_answers={codes[1]: 9},
            page=1,
            flags=[HONEYPOT],
        )
        assert second.answers == {codes[1]: 9} and second.problems == []
    with Session(engine) as session:
        stored = get_draft(session=session, client_id=client_id)
        assert stored is not None
        assert (stored.answers, stored.page, stored.flags) == ({codes[1]: 9}, 1, [HONEYPOT])


def test_old_drafts_are_purged(engine: Engine) -> None:
    seed_minimal(engine)
    old, recent = _draft(engine), _draft(engine)
    with session_scope(engine) as session:
        draft = get_draft(session=session, client_id=old)
        assert draft is not None
        draft.updated_at = datetime.now(UTC) - timedelta(days=40)
        session.add(draft)
    with Session(engine) as session:
        assert purge_drafts(session=session, older_than=datetime.now(UTC) - timedelta(days=30)) == 1
        assert [d.client_id for d in session.exec(select(Draft)).all()] == [recent]


def _with_cross_page_rule() -> Questionnaire:
    """The default questionnaire, with D1.2 asked only of residents aged 70 and over."""
    definition = load_default().to_dict()
    for item in definition["items"]:
        if item["code"] == "D1.2":
            item["relevant"] = "${age_band} = '70-plus'"
    return Questionnaire.model_validate(definition)


def test_pages_show_what_the_answers_so_far_allow() -> None:
    q = _with_cross_page_rule()
    assert [s.code for s in paging.page_sections(q)] == [s.code for s in q.sections]
    # A rule reading an answer on the same page cannot be decided before the page: shown.
    assert "age_band" in [i.code for i in paging.shown_items(q, 0, {})]
    d1 = paging.page_of(q, "D1.1")
    assert "D1.2" not in [i.code for i in paging.shown_items(q, d1, {"age_band": "30-44"})]
    assert "D1.2" in [i.code for i in paging.shown_items(q, d1, {"age_band": "70-plus"})]
    assert paging.next_page(q, 0, {}) == d1 and paging.previous_page(q, d1, {}) == 0
    assert paging.next_page(q, len(q.sections) - 1, {}) is None


def test_page_problems_are_only_this_pages_and_honour_skip_logic() -> None:
    q = _with_cross_page_rule()
    answers = complete_answers(q)
    d1 = paging.page_of(q, "D1.1")
    only_intro = {"age_18_plus": "yes", "age_band": "30-44"}
    assert paging.page_problems(q, only_intro, 0) == []
    partial = dict(only_intro, **{c: 4 for c in paging.page_codes(q, d1) if c != "D1.2"})
    assert paging.page_problems(q, partial, d1) == []  # D1.2 is hidden for this resident
    older = dict(partial, age_band="70-plus")
    assert [p.field for p in paging.page_problems(q, older, d1)] == ["D1.2"]
    missing = {k: v for k, v in answers.items() if k not in ("gender", "D3.4")}
    problems = paging.problems_of(q, missing)
    assert paging.first_page_with(q, problems) == paging.page_of(q, "D3.4")


def test_the_age_gate_closes_only_on_no() -> None:
    q = load_default()
    assert paging.gate_closed(q, {}) is None
    assert paging.gate_closed(q, {"age_18_plus": "yes"}) is None
    closing = paging.gate_closed(q, {"age_18_plus": "no"})
    assert closing is not None and "18" in closing.zh


def _vector(q: Questionnaire, **changes: Any) -> bytes:
    return encode_numeric(q, q.validate_answers(dict(complete_answers(q), **changes)))


def test_near_duplicates_are_nearly_equal_answer_vectors() -> None:
    q = load_default()
    base = _vector(q)
    likert = [i.code for i in q.main_items()]
    assert is_near_duplicate(base, [base])
    few = _vector(q, **{c: 2 for c in likert[:MAX_DIFFERENT_SLOTS]})
    many = _vector(q, **{c: 2 for c in likert[: MAX_DIFFERENT_SLOTS + 1]})
    assert is_near_duplicate(few, [many, base])
    assert not is_near_duplicate(many, [base])
    assert not is_near_duplicate(base, [base[:-2]])  # another questionnaire version
    empty = np.full(len(base) // 2, -1, dtype=DTYPE).tobytes()
    assert not is_near_duplicate(empty, [empty])  # nothing answered: no evidence


def test_submitting_a_draft_carries_its_flags_and_start_time(engine: Engine) -> None:
    seed_minimal(engine)
    answers = complete_answers()
    first = _draft(engine, answers, flags=[HONEYPOT])
    with session_scope(engine) as session:
        draft = get_draft(session=session, client_id=first)
        assert draft is not None
        draft.started_at = datetime.now(UTC) - timedelta(minutes=20)
        session.add(draft)
    second = _draft(engine, answers, flags=[RESTARTED])
    for client_id in (first, second):
        with Session(engine) as session:
            draft = get_draft(session=session, client_id=client_id)
            assert draft is not None
            assert submit_draft(session=session, draft=draft).created
    with Session(engine) as session:
        one, two = session.exec(select(Response).order_by(col(Response.id))).all()
    assert one.quality_flags == [HONEYPOT] and one.duration_s is not None
    assert one.duration_s >= 20 * 60 and one.channel == "web"
    assert two.quality_flags == [NEAR_DUPLICATE]  # same sheet within minutes
    assert two.started_at is None and two.duration_s is None  # unknown start is not guessed


def test_an_invitation_carries_exactly_one_response(engine: Engine) -> None:
    seed_minimal(engine)
    with session_scope(engine) as session:
        wave, community_id = _ids(session)
        community = session.get(Community, community_id)
        assert community is not None
        create_invitations(session=session, wave=wave, community=community, count=1)
    with Session(engine) as session:
        invitation = session.exec(select(Invitation)).one()
    a = _draft(engine, complete_answers(), invitation=invitation)
    b = _draft(engine, complete_answers(likert=2), invitation=invitation)
    with Session(engine) as session:
        draft = get_draft(session=session, client_id=a)
        assert draft is not None
        receipt = submit_draft(session=session, draft=draft)
        again = submit_draft(session=session, draft=draft)  # an identical retry
        assert again.response_id == receipt.response_id and not again.created
    with Session(engine) as session:
        draft = get_draft(session=session, client_id=b)
        assert draft is not None
        with pytest.raises(InvitationUsedError):
            submit_draft(session=session, draft=draft)
    with Session(engine) as session:
        used = session.exec(select(Invitation)).one()
        assert used.used_at is not None and used.response_id == receipt.response_id
        assert len(session.exec(select(Response)).all()) == 1
        assert invitation.id is not None
        with pytest.raises(InvitationUsedError):
            claim_invitation(session=session, invitation_id=invitation.id)
