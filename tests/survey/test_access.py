"""Signed open links and invitation codes (survey.storage.access), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey.storage.access import (
    CODE_ALPHABET,
    CODE_LENGTH,
    OPEN_LINK_SALT,
    AccessError,
    InvitationUsedError,
    WaveNotAcceptingError,
    check_accepting,
    check_invitation,
    claim_invitation,
    create_invitations,
    format_code,
    hash_code,
    normalise_code,
    open_link_token,
    read_open_link,
)
from survey.storage.db import session_scope
from survey.storage.models import Community, Invitation, Wave
from tests.support.factories import seed_minimal


def test_an_open_link_says_its_wave_and_community_and_cannot_be_altered() -> None:
    token = open_link_token(secret="s", wave_code="2026Q2", community_code="CH01-001")
    assert read_open_link(secret="s", token=token) == ("2026Q2", "CH01-001")
    payload, signature = token.split(".")
    other = URLSafeSerializer("s", salt=OPEN_LINK_SALT).dumps(["2026Q2", "CH01-002"])
    forged = [
        f"{other.split('.')[0]}.{signature}",  # another community under the old signature
        f"{payload}.{signature[::-1]}",
        token[:-1],
        open_link_token(secret="another secret", wave_code="2026Q2", community_code="CH01-001"),
        URLSafeSerializer("s", salt=OPEN_LINK_SALT).dumps({"w": "2026Q2"}),  # signed, wrong shape
        "",
    ]
    for bad in forged:
        with pytest.raises(AccessError) as excinfo:
            read_open_link(secret="s", token=bad)
        assert excinfo.value.reason == "bad_link"


def test_codes_are_hard_to_guess_and_easy_to_type() -> None:
    assert math.log2(len(CODE_ALPHABET)) * CODE_LENGTH >= 80
    assert not set("01OI") & set(CODE_ALPHABET)  # nothing to misread
    with pytest.raises(AccessError, match="16 letters"):
        normalise_code("ABCD-EFGH-JKLM-NPQ0")  # a zero is never part of a code
    with pytest.raises(AccessError):
        normalise_code("ABCD")
    code = "ABCDEFGHJKLMNPQR"
    assert normalise_code(" abcd-efgh jklm.npqr ") == code
    assert format_code(code) == "ABCD-EFGH-JKLM-NPQR"
    assert hash_code("abcd efgh jklm npqr") == hashlib.sha256(code.encode()).hexdigest()


def _wave_and_communities(session: Session) -> tuple[Wave, Community, Community]:
    wave = session.exec(select(Wave).where(Wave.code == "W1")).one()
    c1 = session.exec(select(Community).where(Community.code == "C1")).one()
    c2 = session.exec(select(Community).where(Community.code == "C2")).one()
    return wave, c1, c2


def test_codes_are_stored_only_as_digests(engine: Engine) -> None:
    seed_minimal(engine)
    with session_scope(engine) as session:
        wave, c1, _ = _wave_and_communities(session)
        codes = create_invitations(session=session, wave=wave, community=c1, count=50, batch="A")
    assert len(set(codes)) == 50
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    columns = [c["name"] for c in inspect(engine).get_columns("invitation")]
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {', '.join(columns)} FROM invitation")).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert not any(code in stored or format_code(code) in stored for code in codes)
    assert {row[columns.index("token_hash")] for row in rows} == {hash_code(c) for c in codes}


def test_batches_have_sane_sizes(engine: Engine) -> None:
    seed_minimal(engine)
    with Session(engine) as session:
        wave, c1, _ = _wave_and_communities(session)
        for bad in (0, -3, 10**6):
            with pytest.raises(AccessError):
                create_invitations(session=session, wave=wave, community=c1, count=bad)


def test_a_code_works_once_and_only_for_its_community_and_wave(engine: Engine) -> None:
    seed_minimal(engine)
    with session_scope(engine) as session:
        wave, c1, c2 = _wave_and_communities(session)
        w2 = Wave(code="W2", questionnaire_id=wave.questionnaire_id, access_mode="invitation")
        session.add(w2)
        session.flush()
        [code] = create_invitations(session=session, wave=wave, community=c1, count=1)
    with Session(engine) as session:
        wave, c1, c2 = _wave_and_communities(session)
        w2 = session.exec(select(Wave).where(Wave.code == "W2")).one()
        with pytest.raises(AccessError) as other_community:
            check_invitation(session=session, code=code, wave=wave, community=c2)
        with pytest.raises(AccessError) as other_wave:
            check_invitation(session=session, code=code, wave=w2, community=c1)
        assert (other_community.value.reason, other_wave.value.reason) == (
            "other_community",
            "other_wave",
        )
        with pytest.raises(AccessError, match="no invitation"):
            check_invitation(session=session, code="ABCD-EFGH-JKLM-NPQR", wave=wave, community=c1)
        invitation = check_invitation(session=session, code=code, wave=wave, community=c1)
        assert invitation.id is not None
        claim_invitation(session=session, invitation_id=invitation.id)
        session.commit()
        with pytest.raises(InvitationUsedError):
            claim_invitation(session=session, invitation_id=invitation.id)
        session.rollback()
        with pytest.raises(InvitationUsedError):
            check_invitation(session=session, code=code, wave=wave, community=c1)


def test_a_claim_rolled_back_leaves_the_code_unused(engine: Engine) -> None:
    seed_minimal(engine)
    with session_scope(engine) as session:
        wave, c1, _ = _wave_and_communities(session)
        [code] = create_invitations(session=session, wave=wave, community=c1, count=1)
    with Session(engine) as session:
        invitation = session.exec(select(Invitation)).one()
        assert invitation.id is not None
        claim_invitation(session=session, invitation_id=invitation.id)
        session.rollback()  # e.g. the response failed validation in the same transaction
    with Session(engine) as session:
        wave, c1, _ = _wave_and_communities(session)
        assert check_invitation(session=session, code=code, wave=wave, community=c1).used_at is None


def test_only_an_open_wave_within_its_dates_accepts() -> None:
    now = datetime(2026, 5, 12, 10, tzinfo=UTC)
    check_accepting(Wave(code="W", questionnaire_id=1), now)
    check_accepting(
        Wave(
            code="W",
            questionnaire_id=1,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1),
        ),
        now,
    )
    cases = {
        "closed": Wave(code="W", questionnaire_id=1, status="closed"),
        "not_open": Wave(code="W", questionnaire_id=1, opens_at=now + timedelta(hours=1)),
    }
    past = Wave(
        code="W", questionnaire_id=1, closes_at=(now - timedelta(seconds=1)).replace(tzinfo=None)
    )  # naive datetimes from SQLite are UTC
    for reason, wave in [*cases.items(), ("closed", past)]:
        with pytest.raises(WaveNotAcceptingError) as excinfo:
            check_accepting(wave, now)
        assert excinfo.value.reason == reason
