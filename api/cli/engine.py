"""The database the CLI commands work on: migrated first, disposed after."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine

from api.settings import get_settings
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade


@contextmanager
def migrated_engine(url: str | None = None) -> Iterator[Engine]:
    engine = make_engine(url or get_settings().database_url)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
