"""The ``meihao`` command: database, seeding, scoring, serving and the demo."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from api.settings import get_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meihao", description="美好社区 index engine")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply the Alembic migrations")

    seed = sub.add_parser("seed", help="fill the database with a synthetic district")
    seed.add_argument("--seed", type=int, default=20260501)
    seed.add_argument("--communities", type=int, default=83)
    seed.add_argument("--streets", type=int, default=11)
    seed.add_argument("--respondents", type=int, default=180, help="per community per wave")
    seed.add_argument("--csv", metavar="DIR", help="write CSV files instead of the database")

    score = sub.add_parser("score", help="compute and store a score snapshot")
    score.add_argument("--wave", required=True)
    score.add_argument("--model", default=None, help="weight model name (default: the wave's)")
    score.add_argument("--bootstrap", type=int, default=None)

    serve = sub.add_parser("serve", help="serve the API and pages")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument(
        "--allow-placeholders", action="store_true", help="serve even with notice placeholders"
    )

    demo = sub.add_parser("demo", help="seed (when empty), score and serve a demo district")
    demo.add_argument("--host", default=None)
    demo.add_argument("--port", type=int, default=None)
    demo.add_argument("--no-serve", action="store_true", help="prepare the data, then exit")

    from api.cli.staff import add_parsers

    add_parsers(sub)
    from api.cli.survey_print import add_parsers as add_survey_parsers

    add_survey_parsers(sub)
    from api.cli.paper_import import add_parsers as add_import_parsers

    add_import_parsers(sub)
    from api.cli.scorecards import add_parsers as add_scorecard_parsers

    add_scorecard_parsers(sub)
    from api.cli.models import add_parsers as add_model_parsers

    add_model_parsers(sub)
    from api.cli import check, district, questionnaire, wave

    for module in (district, questionnaire, wave, check):
        module.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "handler", None) is not None:
        return int(args.handler(args))
    settings = get_settings()
    from api.cli import core as commands

    if args.command == "db":
        return commands.db_upgrade(settings)
    if args.command == "seed":
        return commands.seed(settings, args)
    if args.command == "score":
        return commands.score(settings, args)
    if args.command == "serve":
        return commands.serve(
            settings,
            host=args.host,
            port=args.port,
            allow_placeholders=args.allow_placeholders,
        )
    if args.command == "demo":
        return commands.demo(settings, args)
    if args.command in ("user", "token"):
        return commands.staff(settings, args)
    if args.command in ("invitations", "posters", "drafts"):
        from api.cli.survey_print import run

        return run(settings, args)
    if args.command == "import":
        from api.cli.paper_import import run as run_import

        return run_import(settings, args)
    if args.command == "scorecards":
        from api.cli.scorecards import run as run_scorecards

        return run_scorecards(settings, args)
    if args.command == "model":
        from api.cli.models import run as run_models

        return run_models(settings, args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
