"""``meihao district import|show|export|template``: the district register (streets,
communities, population cells) from and to the spreadsheet the district office keeps."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.cli.engine import migrated_engine
from survey.errors import SurveyError
from survey.storage.db import session_scope


def add_parsers(sub: argparse._SubParsersAction) -> None:
    district = sub.add_parser("district", help="the district register of communities")
    dsub = district.add_subparsers(dest="district_command", required=True)
    imp = dsub.add_parser("import", help="import (or update) the register from XLSX or CSV")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    imp.add_argument("--questionnaire", default="meihao", help="whose age × gender cells")
    imp.set_defaults(handler=import_command)
    show = dsub.add_parser("show", help="streets and communities in the register")
    show.set_defaults(handler=show_command)
    export = dsub.add_parser("export", help="write the register in the import format")
    export.add_argument("file", type=Path)
    export.add_argument("--questionnaire", default="meihao")
    export.set_defaults(handler=export_command)
    template = dsub.add_parser("template", help="write an empty XLSX template")
    template.add_argument("file", type=Path)
    template.add_argument("--questionnaire", default="meihao")
    template.set_defaults(handler=template_command)


def import_command(args: argparse.Namespace) -> int:
    from survey.district_register import import_district_file

    try:
        with migrated_engine() as engine, session_scope(engine) as session:
            report = import_district_file(
                session=session,
                path=args.file,
                actor="cli",
                dry_run=args.dry_run,
                slug=args.questionnaire,
            )
    except SurveyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(report.lines()), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1


def show_command(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from survey.storage.models import Community, Street

    with migrated_engine() as engine, session_scope(engine) as session:
        streets = list(session.exec(select(Street).order_by(Street.code)).all())
        communities = list(session.exec(select(Community).order_by(Community.code)).all())
    by_street: dict[int | None, list[Community]] = {}
    for c in communities:
        by_street.setdefault(c.street_id, []).append(c)
    active = [c for c in communities if c.retired_at is None]
    print(
        f"{len(streets)} streets, {len(active)} communities "
        f"({len(communities) - len(active)} retired), population "
        f"{sum(c.population for c in active):,}"
    )
    for street in streets:
        print(f"{street.code}  {street.name}")
        for c in by_street.get(street.id, []):
            flags = []
            if not c.margins:
                flags.append("not raked")
            if c.retired_at is not None:
                flags.append("retired")
            if c.predecessors:
                flags.append("from " + ";".join(p["code"] for p in c.predecessors))
            if c.grids:
                flags.append(f"{len(c.grids)} grids")
            extra = f"  [{', '.join(flags)}]" if flags else ""
            print(f"  {c.code}  {c.name}  {c.housing_type}  {c.population:,}{extra}")
    return 0


def export_command(args: argparse.Namespace) -> int:
    from survey.district_register import register_cells, register_entries
    from survey.formats.district_file import write_district_file

    with migrated_engine() as engine, session_scope(engine) as session:
        entries = register_entries(session=session)
        cells = register_cells(session=session, slug=args.questionnaire)
    write_district_file(args.file, entries, cells)
    print(f"wrote {len(entries)} communities to {args.file}")
    return 0


def template_command(args: argparse.Namespace) -> int:
    from survey.district_register import register_cells
    from survey.formats.district_file import template_bytes

    with migrated_engine() as engine, session_scope(engine) as session:
        cells = register_cells(session=session, slug=args.questionnaire)
    args.file.parent.mkdir(parents=True, exist_ok=True)
    args.file.write_bytes(template_bytes(cells))
    print(f"wrote the district template to {args.file}")
    return 0
