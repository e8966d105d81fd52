"""The ``meihao`` command: the parser built from each CLI module's ``add_parsers``, and dispatch.

The convention every module in ``api/cli/`` follows: ``add_parsers(sub)`` adds its sub-commands
to ``sub`` (an ``argparse`` sub-parsers action) and gives each one a handler with
``parser.set_defaults(handler=fn)``, where ``fn(args: argparse.Namespace) -> int`` reads the
settings itself (``api.settings.get_settings()``) and returns the exit status. A new command
group is a new module, added to ``MODULES`` below.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from api.cli import (
    check,
    core,
    district,
    models,
    paper_import,
    questionnaire,
    repair,
    retention,
    scorecards,
    staff,
    survey_print,
    wave,
    worker,
)

MODULES = (
    core,
    staff,
    survey_print,
    paper_import,
    scorecards,
    models,
    repair,
    retention,
    worker,
    district,
    questionnaire,
    wave,
    check,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meihao", description="美好社区 index engine")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in MODULES:
        module.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
