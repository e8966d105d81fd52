"""``meihao user ...`` and ``meihao token ...``, and the demo's staff accounts."""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.settings import get_settings
from survey.errors import SurveyError
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from survey.storage.models import Community, Street
from survey.storage.users import (
    MIN_PASSWORD_LENGTH,
    ROLES,
    count_users,
    create_user,
    get_user,
    issue_token,
    list_tokens,
    list_users,
    revoke_token,
    set_active,
    set_password,
)

Handler = Callable[[argparse.Namespace], int]


def add_parsers(sub: Any) -> None:
    user = sub.add_parser("user", help="staff accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    create = user_sub.add_parser("create", help="create a staff account")
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument(
        "--scope-level", default="district", choices=("district", "street", "community")
    )
    create.add_argument("--scope-code", default="", help="street or community code")
    create.add_argument("--password", help="omit to be prompted (keeps it out of shell history)")
    password = user_sub.add_parser("password", help="set a new password (ends its sessions)")
    password.add_argument("--username", required=True)
    password.add_argument("--password", help="omit to be prompted")
    create.set_defaults(handler=create_user_command)
    password.set_defaults(handler=set_password_command)
    user_sub.add_parser("list", help="every account").set_defaults(handler=list_users_command)
    for verb, about in (
        ("disable", "disable an account: ends its sessions, revokes its tokens"),
        ("enable", "enable a disabled account (its old sessions and tokens stay dead)"),
    ):
        action = user_sub.add_parser(verb, help=about)
        action.add_argument("--username", required=True)
        action.set_defaults(handler=set_active_command, active=verb == "enable")

    token = sub.add_parser("token", help="API tokens for notebooks and scripts")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    token_create = token_sub.add_parser("create", help="issue a bearer token (printed once)")
    token_create.add_argument("--username", required=True)
    token_create.add_argument("--name", default="cli")
    token_create.add_argument("--days", type=int, default=90)
    token_create.set_defaults(handler=create_token_command)
    token_sub.add_parser("list", help="live tokens (never the tokens themselves)").set_defaults(
        handler=list_tokens_command
    )
    token_revoke = token_sub.add_parser("revoke", help="revoke a token by its id")
    token_revoke.add_argument("token_id", type=int)
    token_revoke.set_defaults(handler=revoke_token_command)


def _password(given: str | None) -> str:
    if given is not None:
        return given
    first = getpass.getpass(f"password (at least {MIN_PASSWORD_LENGTH} characters): ")
    if getpass.getpass("repeat: ") != first:
        raise SurveyError("the two passwords differ")
    return first


def _with_session(action: Callable[[Session, argparse.Namespace], None]) -> Handler:
    """A handler running ``action`` in one session on the migrated database; domain errors
    become a message on stderr and exit status 1."""

    def handler(args: argparse.Namespace) -> int:
        engine = make_engine(get_settings().database_url)
        try:
            upgrade(engine)
            with Session(engine, expire_on_commit=False) as session:
                action(session, args)
        except SurveyError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        finally:
            engine.dispose()
        return 0

    return handler


def _user_create(session: Session, args: argparse.Namespace) -> None:
    user = create_user(
        session=session,
        username=args.username,
        password=_password(args.password),
        role=args.role,
        scope_level=args.scope_level,
        scope_code=args.scope_code,
    )
    scope = f"{user.scope_level} {user.scope_code}".strip()
    print(f"created {user.role} {user.username!r} (scope: {scope})")


def _user_password(session: Session, args: argparse.Namespace) -> None:
    set_password(
        session=session, username=args.username, password=_password(args.password), actor="cli"
    )
    print(f"password of {args.username!r} changed")


def _token_create(session: Session, args: argparse.Namespace) -> None:
    owner = get_user(session=session, username=args.username)
    if owner is None or not owner.active:
        raise SurveyError(f"no active user {args.username!r}")
    if not 1 <= args.days <= 365:
        raise SurveyError("--days must be between 1 and 365")
    token, row = issue_token(
        session=session, user=owner, name=args.name, lifetime=timedelta(days=args.days)
    )
    expires = f"{row.expires_at:%Y-%m-%d}"
    print(f"token {row.id} for {owner.username} (expires {expires}); shown only once:")
    print(token)


def _user_list(session: Session, args: argparse.Namespace) -> None:
    for user in list_users(session=session):
        scope = f"{user.scope_level} {user.scope_code}".strip()
        state = "active" if user.active else "disabled"
        print(f"{user.username:<20} {user.role:<11} {scope:<22} {state}")


def _user_set_active(session: Session, args: argparse.Namespace) -> None:
    user = set_active(session=session, username=args.username, active=args.active, actor="cli")
    print(f"{user.username!r} is {'enabled' if user.active else 'disabled'}")


def _token_list(session: Session, args: argparse.Namespace) -> None:
    for token, owner in list_tokens(session=session):
        expires = f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "never"
        print(f"{token.id:<6} {owner:<20} {token.name:<20} expires {expires}")


def _token_revoke(session: Session, args: argparse.Namespace) -> None:
    row = revoke_token(session=session, token_id=args.token_id, actor="cli", any_owner=True)
    print(f"token {row.id} revoked")


create_user_command = _with_session(_user_create)
list_users_command = _with_session(_user_list)
set_active_command = _with_session(_user_set_active)
list_tokens_command = _with_session(_token_list)
revoke_token_command = _with_session(_token_revoke)
set_password_command = _with_session(_user_password)
create_token_command = _with_session(_token_create)


def seed_demo_users(engine: Engine) -> list[tuple[str, str, str]]:
    """One account per role when there is none yet; returns (username, role/scope, password).

    The demo shares one random password among its accounts, printed once and stored only as
    argon2 hashes: a demo left running on a network has no well-known password.
    """
    with Session(engine, expire_on_commit=False) as session:
        if count_users(session=session) > 0:
            return []
        street = session.exec(select(Street).order_by(Street.code)).first()
        community = None
        if street is not None:
            community = session.exec(
                select(Community).where(Community.street_id == street.id).order_by(Community.code)
            ).first()
        password = secrets.token_urlsafe(9)
        accounts = [
            ("admin", "admin", "district", ""),
            ("researcher", "researcher", "district", ""),
            ("district", "official", "district", ""),
        ]
        if street is not None:
            accounts.append(("street", "official", "street", street.code))
        if community is not None:
            accounts.append(("community", "official", "community", community.code))
        created = []
        for username, role, level, code in accounts:
            create_user(
                session=session,
                username=username,
                password=password,
                role=role,
                scope_level=level,
                scope_code=code,
            )
            scope = level if not code else f"{level} {code}"
            created.append((username, f"{role} ({scope})", password))
        return created


def demo_user_lines(created: list[tuple[str, str, str]]) -> list[str]:
    if not created:
        return ["  工作人员账号已存在 Staff accounts exist (meihao user password --username U)."]
    lines = [f"  演示账号 Demo accounts (password shown once / 密码仅显示一次： {created[0][2]}):"]
    lines += [f"    {username:<11} {what}" for username, what, _ in created]
    return lines
