"""The submit path's look-ups at the database driver, below SQLAlchemy's statement machinery.

A submission reads its wave, its community, whether its client id is stored or has a draft,
and the community's recent answer vectors. Through SQLAlchemy (Core, a prepared statement)
each such read cost 50–60 µs and building the detached model instance another 60 µs, against
4–5 µs for the same query on the driver's cursor (P5 micro-timings, 2026-12-04): together a
fifth of a submission's server time. These run the same SQL on the DBAPI cursor of the
session's own connection, so they see exactly what the session's transaction sees.

Nothing here is remembered across requests except model instances keyed by the very row they
were built from: the wave and community rows are read on every call (a closed wave must refuse
the next submission at once), and only when the row read equals the one an instance was built
from is that read-only instance reused instead of built again.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Column
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session

from survey.errors import NotFoundError
from survey.storage.models import Community, Wave
from survey.storage.per_engine import PerEngine

_WAVE_TABLE_COLUMNS: list[Column[Any]] = list(Wave.__table__.columns)  # type: ignore[attr-defined]
_COMMUNITY_TABLE_COLUMNS: list[Column[Any]] = list(
    Community.__table__.columns  # type: ignore[attr-defined]
)
_WAVE_COLUMNS = [c.name for c in _WAVE_TABLE_COLUMNS]
_COMMUNITY_COLUMNS = [c.name for c in _COMMUNITY_TABLE_COLUMNS]
_WAVE_AND_COMMUNITY = (
    "SELECT "
    + ", ".join([f"w.{c}" for c in _WAVE_COLUMNS] + [f"c.{c}" for c in _COMMUNITY_COLUMNS])
    + " FROM wave w, community c WHERE w.code = ? AND c.code = ?"
)
_STORED_OR_DRAFTED = (
    "SELECT (SELECT id FROM response WHERE client_id = ?),"
    " (SELECT id FROM draft WHERE client_id = ?)"
)


def driver_rows(connection: Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    """Rows of ``sql`` (``?`` placeholders) run on the connection's DBAPI cursor, as the
    driver returns them (no type processing: SQLite datetimes and JSON come back as text)."""
    if connection.dialect.paramstyle != "qmark":  # psycopg: %s; the SQL here has no other %
        sql = sql.replace("?", "%s")
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _converters(dialect: Dialect, columns: list[Column[Any]]) -> list[Any]:
    """SQLAlchemy's own driver-value → Python conversion per column (None: as it comes).

    ``_cached_result_processor`` is what SQLAlchemy's result rows call: it adapts the type to
    the dialect first (psycopg's JSON comes parsed, SQLite's as text), which the generic
    type's ``result_processor`` would not."""
    return [column.type._cached_result_processor(dialect, None) for column in columns]


def _instance(model: Any, names: list[str], converters: list[Any], values: tuple[Any, ...]) -> Any:
    data = {
        name: (value if convert is None or value is None else convert(value))
        for name, convert, value in zip(names, converters, values, strict=True)
    }
    instance = model(**data)
    make_transient_to_detached(instance)  # read-only, outside any session, like read_wave's
    return instance


class _Instances:
    """Read-only Wave/Community instances of one engine, keyed by the rows they were built from."""

    def __init__(self, dialect: Dialect) -> None:
        self.wave_converters = _converters(dialect, _WAVE_TABLE_COLUMNS)
        self.community_converters = _converters(dialect, _COMMUNITY_TABLE_COLUMNS)
        self._lock = threading.Lock()
        self._by_codes: dict[tuple[str, str], tuple[tuple[Any, ...], Wave, Community]] = {}

    def get(self, codes: tuple[str, str], row: tuple[Any, ...]) -> tuple[Wave, Community] | None:
        with self._lock:
            known = self._by_codes.get(codes)
        if known is None or known[0] != row:
            return None
        return known[1], known[2]

    def put(self, codes: tuple[str, str], row: tuple[Any, ...], wave: Wave, c: Community) -> None:
        with self._lock:
            if len(self._by_codes) >= 16_384:  # a city's communities × a few waves, then start over
                self._by_codes.clear()
            self._by_codes[codes] = (row, wave, c)


_instances = PerEngine(lambda engine: _Instances(engine.dialect))


def read_wave_and_community(
    *, session: Session, wave_code: str, community_code: str
) -> tuple[Wave, Community]:
    """The wave and community of a credential, read fresh in one query, as detached read-only
    instances (as :func:`survey.storage.registry.read_wave` and ``read_community``);
    ``NotFoundError`` when either does not exist."""
    connection = session.connection()
    rows = driver_rows(connection, _WAVE_AND_COMMUNITY, (wave_code, community_code))
    if not rows:
        # Which one is missing, in read_wave's and read_community's words.
        if not driver_rows(connection, "SELECT id FROM wave WHERE code = ?", (wave_code,)):
            raise NotFoundError(f"no survey wave with code {wave_code!r}")
        raise NotFoundError(f"no community with code {community_code!r}")
    row = tuple(rows[0])
    codes = (wave_code, community_code)
    instances = _instances(connection.engine)
    known = instances.get(codes, row)
    if known is not None:
        return known
    split = len(_WAVE_COLUMNS)
    wave = _instance(Wave, _WAVE_COLUMNS, instances.wave_converters, row[:split])
    community = _instance(
        Community, _COMMUNITY_COLUMNS, instances.community_converters, row[split:]
    )
    instances.put(codes, row, wave, community)
    return wave, community


def stored_or_drafted(*, session: Session, client_id: str) -> tuple[int | None, bool]:
    """The stored response id of ``client_id`` (or None), and whether it has a draft."""
    rows = driver_rows(session.connection(), _STORED_OR_DRAFTED, (client_id, client_id))
    stored, draft = rows[0]
    return (None if stored is None else int(stored)), draft is not None
