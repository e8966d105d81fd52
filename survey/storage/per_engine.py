"""One helper object per database engine, made on first use and dropped with the engine.

The submit path keeps several (the group committer, the database threads, the recent-vector
cache, the read-only wave and community instances); the registry is weak so that an engine,
and its helper, can be dropped (tests make many).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine

T = TypeVar("T")


class PerEngine(Generic[T]):
    """``per_engine(engine)``: the engine's object, made by ``make(engine)`` the first time."""

    def __init__(self, make: Callable[[Engine], T]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._made: weakref.WeakKeyDictionary[Engine, T] = weakref.WeakKeyDictionary()

    def __call__(self, engine: Engine) -> T:
        with self._lock:
            made = self._made.get(engine)
            if made is None:
                made = self._made[engine] = self._make(engine)
            return made
