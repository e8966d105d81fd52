"""``meihao wave create|list|open|close|reopen``: survey waves and their dates.

A created wave is scheduled: it opens with ``wave open`` or by itself at ``--opens`` (and closes
by itself at ``--closes``; residents are refused outside the window at once, the final snapshot
follows on the next staff request). ``close`` rescores the wave as the admin page does.
"""

from __future__ import annotations

import argparse
import sys

from api.cli.engine import migrated_engine
from api.settings import get_settings
from survey.errors import SurveyError
from survey.storage.db import session_scope


def add_parsers(sub: argparse._SubParsersAction) -> None:
    wave = sub.add_parser("wave", help="survey waves")
    wsub = wave.add_subparsers(dest="wave_command", required=True)
    create = wsub.add_parser("create", help="create a scheduled wave")
    create.add_argument("code")
    create.add_argument("--questionnaire", required=True, help="SLUG or SLUG@VERSION")
    create.add_argument("--opens", default=None, help="ISO time (UTC+8 when no offset)")
    create.add_argument("--closes", default=None, help="ISO time (UTC+8 when no offset)")
    create.add_argument("--access", choices=("open", "invitation"), default="open")
    create.add_argument("--model", default=None, help="default weight model")
    create.add_argument("--exclusion", default="default", help="default, none or FILE.json")
    create.set_defaults(handler=create_command)
    lst = wsub.add_parser("list", help="every wave with its status and dates")
    lst.set_defaults(handler=list_command)
    for name, handler, text in (
        ("open", open_command, "open a scheduled wave now"),
        ("close", close_command, "close a wave and publish its final snapshot"),
    ):
        p = wsub.add_parser(name, help=text)
        p.add_argument("code")
        p.set_defaults(handler=handler)
    reopen = wsub.add_parser("reopen", help="reopen a closed wave (audited)")
    reopen.add_argument("code")
    reopen.add_argument("--reason", required=True)
    reopen.add_argument("--closes", default=None, help="new closing time (ISO)")
    reopen.set_defaults(handler=reopen_command)


def _fail(exc: Exception | str) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 1


def create_command(args: argparse.Namespace) -> int:
    from survey.questionnaire_versions import get_version, parse_spec
    from survey.storage.waves import create_wave, exclusion_policy_from, parse_moment

    try:
        slug, version = parse_spec(args.questionnaire)
        policy = exclusion_policy_from(args.exclusion)
        with migrated_engine() as engine, session_scope(engine) as session:
            record = get_version(
                session=session, slug=slug, version=version, published_only=version is None
            )
            wave = create_wave(
                session=session,
                code=args.code,
                questionnaire=record,
                actor="cli",
                opens_at=parse_moment(args.opens),
                closes_at=parse_moment(args.closes),
                access_mode=args.access,
                default_model=args.model or "equal",
                exclusion_policy=policy,
            )
    except SurveyError as exc:
        return _fail(exc)
    print(
        f"created wave {wave.code} with {record.slug} v{record.version} "
        f"({wave.access_mode} access); it opens "
        + (
            f"by itself at {wave.opens_at.isoformat()}"
            if wave.opens_at
            else "with `meihao wave open`"
        )
    )
    return 0


def list_command(args: argparse.Namespace) -> int:
    from survey.storage.models import QuestionnaireRecord
    from survey.storage.registry import list_waves, response_counts
    from survey.storage.waves import effective_status, window_text

    with migrated_engine() as engine, session_scope(engine) as session:
        counts = response_counts(session=session)
        for w in list_waves(session=session):
            q = session.get(QuestionnaireRecord, w.questionnaire_id)
            status = effective_status(w)
            lag = f" (stored: {w.status})" if status != w.status else ""
            print(
                f"{w.code}  {status}{lag}  {q.slug if q else '?'}@{q.version if q else '?'}  "
                f"{w.access_mode}  {w.default_model}  {window_text(w)}  "
                f"{counts.get(w.id or 0, 0)} responses"
            )
    return 0


def open_command(args: argparse.Namespace) -> int:
    from survey.storage.waves import open_wave

    try:
        with migrated_engine() as engine, session_scope(engine) as session:
            wave = open_wave(session=session, code=args.code, actor="cli")
    except SurveyError as exc:
        return _fail(exc)
    print(f"wave {wave.code} is open")
    return 0


def close_command(args: argparse.Namespace) -> int:
    """Close the wave, then compute its final snapshot here (the job a worker would run)."""
    from sqlmodel import Session

    from api.cli.job_progress import ProgressLine
    from api.services.jobs import get_job, run_pending
    from api.services.waves import close_wave
    from survey.storage.models import ScoreSnapshot

    settings = get_settings()
    try:
        with migrated_engine() as engine:
            with session_scope(engine) as session:
                wave, job = close_wave(
                    session=session,
                    wave_code=args.code,
                    actor="cli",
                    bootstrap=settings.bootstrap_replicates,
                )
                job_id, code = job.id, wave.code
            assert job_id is not None
            say = ProgressLine(f"wave {code}, job {job_id}")
            run_pending(engine, lease_s=settings.job_lease_seconds, job_id=job_id, progress=say)
            with Session(engine) as session:
                done = get_job(session=session, job_id=job_id)
                snapshot = session.get(ScoreSnapshot, done.snapshot_id or 0)
                if snapshot is None:
                    return _fail(f"closed wave {code}, but its final snapshot failed: {done.error}")
                print(
                    f"closed wave {code}; snapshot {snapshot.id} ({snapshot.model_name} "
                    f"v{snapshot.model_version}, data {snapshot.data_hash[:12]})"
                )
    except SurveyError as exc:
        return _fail(exc)
    return 0


def reopen_command(args: argparse.Namespace) -> int:
    from survey.storage.waves import parse_moment, reopen_wave

    try:
        with migrated_engine() as engine, session_scope(engine) as session:
            wave = reopen_wave(
                session=session,
                code=args.code,
                reason=args.reason,
                actor="cli",
                closes_at=parse_moment(args.closes),
            )
    except SurveyError as exc:
        return _fail(exc)
    print(f"wave {wave.code} is open again (audited: {args.reason})")
    return 0
