"""``meihao model ...``: list, read, validate, publish and retire weight models, and make one a
wave's default, from the command line.

The same lifecycle as ``/api/v1/weight-models`` (:mod:`api.services.model_registry` does the
work): versions are assigned on publication, data-driven weights are resolved on
``--resolve-wave`` and frozen, and every change is audited under ``--author``, who must be an
active researcher or admin account. Errors print one line to stderr and exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from api.settings import get_settings

AUTHOR_ROLES = ("admin", "researcher")


class _CliError(Exception):
    """A problem with the command's input (file, author), printed as ``error: ...``."""


def add_parsers(sub: Any) -> None:
    model = sub.add_parser("model", help="weight models: list, show, validate, publish, retire")
    model_sub = model.add_subparsers(dest="model_command", required=True)

    list_ = model_sub.add_parser("list", help="built-in models and every stored version")
    list_.add_argument(
        "--status", choices=("published", "retired", "builtin"), help="only these versions"
    )
    list_.set_defaults(handler=_handler(_list))

    show = model_sub.add_parser("show", help="print a model's JSON definition")
    show.add_argument("name")
    show.add_argument("--version", type=int, help="default: the latest published version")
    show.set_defaults(handler=_handler(_show))

    validate = model_sub.add_parser(
        "validate",
        help="check a model file against the default questionnaire, without publishing",
    )
    validate.add_argument("file", help="a weight model as JSON (WeightModel.to_dict())")
    validate.set_defaults(handler=_handler(_validate, database=False))

    publish = model_sub.add_parser("publish", help="publish a model file as the next version")
    publish.add_argument("file", help="a weight model as JSON (its version is assigned)")
    publish.add_argument("--author", required=True, help="a researcher or admin username")
    publish.add_argument(
        "--resolve-wave",
        metavar="W",
        help="wave on which data-driven weights (entropy, CRITIC, PCA, derived) are resolved "
        "and frozen; required for those methods",
    )
    publish.set_defaults(handler=_handler(_publish))

    retire = model_sub.add_parser("retire", help="retire a version (stays readable)")
    retire.add_argument("name")
    retire.add_argument("version", type=int)
    retire.add_argument("--author", required=True, help="a researcher or admin username")
    retire.set_defaults(handler=_handler(_retire))

    default = model_sub.add_parser(
        "default", help="make a model the wave's default (scoring the wave when needed)"
    )
    default.add_argument("name")
    default.add_argument("--wave", required=True, help="wave code, e.g. 2026Q2")
    default.add_argument("--author", required=True, help="a researcher or admin username")
    default.add_argument(
        "--bootstrap", type=int, default=None, help="replicates if the wave must be scored"
    )
    default.set_defaults(handler=_handler(_default))


def _read_definition(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _CliError(f"{path} is not valid JSON: {exc}") from None


def _author(session: Any, username: str) -> str:
    from survey.storage.users import get_user

    user = get_user(session=session, username=username)
    if user is None or not user.active:
        raise _CliError(f"no active user {username!r}")
    if user.role not in AUTHOR_ROLES:
        raise _CliError(f"{username!r} is an {user.role}: only researchers and admins can do this")
    return user.username


def _validate(args: argparse.Namespace) -> None:
    from api.services.model_registry import check_model, default_framework

    model = check_model(_read_definition(args.file), default_framework())
    note = " (data-driven: publish with --resolve-wave W)" if model.is_data_driven else ""
    print(f"{model.name}: valid against the default questionnaire{note}")


def _list(session: Any, args: argparse.Namespace) -> None:
    from api.services import model_registry as registry

    for m in registry.list_models(session=session, status=args.status):
        print(
            f"{m['name']:<24} v{m['version']:<4} {m['status']:<10} "
            f"{m['author']:<16} {m['description']}".rstrip()
        )


def _show(session: Any, args: argparse.Namespace) -> None:
    from api.services import model_registry as registry

    found = registry.get_model(session=session, name=args.name, version=args.version)
    print(json.dumps(found["definition"], indent=2, ensure_ascii=False, default=str))


def _publish(session: Any, args: argparse.Namespace) -> None:
    from api.services import model_registry as registry

    definition = _read_definition(args.file)
    record = registry.publish_model(
        session=session,
        definition=definition,
        author=_author(session, args.author),
        resolve_wave=args.resolve_wave,
    )
    frozen = " (weights frozen)" if record.definition.get("frozen_from") else ""
    print(f"published {record.name} version {record.version}{frozen}")


def _retire(session: Any, args: argparse.Namespace) -> None:
    from api.services import model_registry as registry

    record = registry.retire_model(
        session=session, name=args.name, version=args.version, actor=_author(session, args.author)
    )
    print(f"retired {record.name} version {record.version}")


def _default(session: Any, args: argparse.Namespace) -> None:
    from api.services import model_registry as registry

    wave, snapshot = registry.set_default_model(
        session=session,
        wave_code=args.wave,
        name=args.name,
        actor=_author(session, args.author),
        bootstrap=args.bootstrap
        if args.bootstrap is not None
        else get_settings().bootstrap_replicates,
    )
    scored = "" if snapshot is None else f" (scored: snapshot {snapshot.id})"
    print(f"wave {wave.code} default model: {wave.default_model}{scored}")


def _handler(action: Callable[..., None], *, database: bool = True) -> Callable[..., int]:
    """The ``model`` sub-command's handler: ``action(session, args)`` on the migrated database
    (or ``action(args)`` without one); domain errors become ``error: ...`` and exit 1."""

    def handler(args: argparse.Namespace) -> int:
        from api.services.model_registry import INPUT_ERRORS

        refused: tuple[type[Exception], ...] = (_CliError, *INPUT_ERRORS)
        settings = get_settings()
        try:
            if not database:
                action(args)
                return 0
            _run_db(settings.database_url, action, args)
        except refused as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0

    return handler


def _run_db(database_url: str, action: Callable[..., None], args: argparse.Namespace) -> None:
    from sqlmodel import Session

    from survey.storage.db import make_engine
    from survey.storage.migrate import upgrade

    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with Session(engine, expire_on_commit=False) as session:
            action(session, args)
    finally:
        engine.dispose()
