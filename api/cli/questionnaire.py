"""``meihao questionnaire list|export|import|diff|publish``: questionnaire versions.

Import makes a new draft version (validated by the questionnaire checks and by pyxform); publish
makes it immutable and usable by a wave. Editing is done in the XLSForm spreadsheet: export,
change, import, diff against the published version, publish.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from api.cli.engine import migrated_engine
from survey.errors import SurveyError
from survey.storage.db import session_scope


def add_parsers(sub: argparse._SubParsersAction) -> None:
    q = sub.add_parser("questionnaire", help="questionnaire versions")
    qsub = q.add_subparsers(dest="questionnaire_command", required=True)
    lst = qsub.add_parser("list", help="every version, published or draft")
    lst.set_defaults(handler=list_command)
    exp = qsub.add_parser("export", help="write a version as XLSForm or JSON")
    exp.add_argument("slug")
    exp.add_argument("--version", type=int, default=None, help="default: newest published")
    exp.add_argument("--format", choices=("xlsform", "json"), default="xlsform")
    exp.add_argument("--out", type=Path, required=True)
    exp.set_defaults(handler=export_command)
    imp = qsub.add_parser("import", help="import an XLSForm (.xlsx) or JSON file as a new draft")
    imp.add_argument("file", type=Path)
    imp.add_argument("--slug", default=None, help="store under this slug (default: the file's)")
    imp.set_defaults(handler=import_command)
    diff = qsub.add_parser("diff", help="items added, removed, re-worded, re-keyed or moved")
    diff.add_argument("slug")
    diff.add_argument("v1", type=int)
    diff.add_argument("v2", type=int)
    diff.add_argument("--json", action="store_true")
    diff.set_defaults(handler=diff_command)
    pub = qsub.add_parser("publish", help="publish a draft (immutable from then on)")
    pub.add_argument("slug")
    pub.add_argument("--version", type=int, required=True)
    pub.set_defaults(handler=publish_command)


def _fail(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 1


def list_command(args: argparse.Namespace) -> int:
    from survey.questionnaire_versions import list_versions
    from survey.storage.registry import questionnaire_of

    with migrated_engine() as engine, session_scope(engine) as session:
        rows = list_versions(session=session)
        for r in rows:
            q = questionnaire_of(r)
            state = "published" if r.published else "draft"
            print(
                f"{r.slug}@{r.version}  {state:9}  {len(q.items)} items  "
                f"{r.definition_hash[:12]}  {q.title.zh}"
            )
    return 0


def export_command(args: argparse.Namespace) -> int:
    from survey.formats.xlsform import export_xlsform
    from survey.questionnaire_versions import get_version
    from survey.storage.registry import questionnaire_of

    try:
        with migrated_engine() as engine, session_scope(engine) as session:
            record = get_version(session=session, slug=args.slug, version=args.version)
            q = questionnaire_of(record)
    except SurveyError as exc:
        return _fail(exc)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "json":
        args.out.write_text(q.to_json() + "\n", encoding="utf-8")
    else:
        args.out.write_bytes(export_xlsform(q))
    print(f"wrote {record.slug} v{record.version} ({args.format}) to {args.out}")
    return 0


def import_command(args: argparse.Namespace) -> int:
    from survey.questionnaire_versions import import_draft, read_definition_file

    try:
        q = read_definition_file(args.file, slug=args.slug)
        with migrated_engine() as engine, session_scope(engine) as session:
            record = import_draft(session=session, questionnaire=q, actor="cli")
    except SurveyError as exc:
        return _fail(exc)
    print(
        f"imported {args.file.name} as draft {record.slug} v{record.version}; compare with "
        f"`meihao questionnaire diff {record.slug} {max(record.version - 1, 1)} "
        f"{record.version}`, then `meihao questionnaire publish {record.slug} "
        f"--version {record.version}`"
    )
    return 0


def diff_command(args: argparse.Namespace) -> int:
    from survey.questionnaire_versions import diff, diff_lines, get_version
    from survey.storage.registry import questionnaire_of

    try:
        with migrated_engine() as engine, session_scope(engine) as session:
            old = questionnaire_of(get_version(session=session, slug=args.slug, version=args.v1))
            new = questionnaire_of(get_version(session=session, slug=args.slug, version=args.v2))
    except SurveyError as exc:
        return _fail(exc)
    result = diff(old, new)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(f"{args.slug} v{args.v1} → v{args.v2}")
        print("\n".join(diff_lines(result)))
    return 0


def publish_command(args: argparse.Namespace) -> int:
    from survey.questionnaire_versions import publish

    try:
        with migrated_engine() as engine, session_scope(engine) as session:
            record = publish(session=session, slug=args.slug, version=args.version, actor="cli")
    except SurveyError as exc:
        return _fail(exc)
    print(f"published {record.slug} v{record.version}; it can no longer change")
    return 0
