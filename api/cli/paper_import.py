"""``meihao import FILE --wave W``: paper questionnaires typed in by grid workers.

Prints a summary and the first problems; the full validation report goes to ``--report``.
Exit status 1 when nothing was imported because of problems in the file (or the file could not
be read at all), 0 otherwise, so a script can tell.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from api.settings import get_settings

SHOWN_PROBLEMS = 20


def add_parsers(sub: Any) -> None:
    paper = sub.add_parser(
        "import",
        help="import paper questionnaires from a CSV or XLSX file",
        description="Validate every row against the wave's questionnaire; nothing is imported "
        "when a row has a problem, unless --skip-invalid is given.",
    )
    paper.add_argument("file", help="a .csv (UTF-8) or .xlsx file in the paper-import format")
    paper.add_argument("--wave", required=True, help="wave code, e.g. 2026Q2")
    paper.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the valid rows and leave out the rows with problems",
    )
    paper.add_argument("--report", metavar="CSV", help="write every problem to this CSV file")
    paper.add_argument(
        "--dry-run",
        action="store_true",
        help="validate and report, but write nothing to the database",
    )
    paper.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from survey.errors import ConflictError, ImportFileError, NotFoundError
    from survey.formats.paper.importer import import_paper
    from survey.storage.db import make_engine
    from survey.storage.migrate import upgrade

    engine = make_engine(get_settings().database_url)
    try:
        upgrade(engine)
        report = import_paper(
            engine=engine,
            path=args.file,
            wave_code=args.wave,
            skip_invalid=args.skip_invalid,
            dry_run=args.dry_run,
        )
    except (ImportFileError, NotFoundError, ConflictError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(report.summary())
    for line in report.problems[:SHOWN_PROBLEMS]:
        print(f"  row {line.row}, {line.column}: {line.problem}")
    if report.problems_total > SHOWN_PROBLEMS:
        more = report.problems_total - SHOWN_PROBLEMS
        print(f"  ... and {more} more" + ("" if args.report else " (use --report FILE.csv)"))
    if args.report:
        report.write_csv(args.report)
        print(f"report written to {args.report}")
    return 1 if report.stopped_by_errors else 0
