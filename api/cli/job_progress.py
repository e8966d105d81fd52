"""How the CLI shows a scoring job's progress while it waits (``meihao wave close``,
``meihao worker``): a bar redrawn in place on a terminal, a line per tenth otherwise (logs)."""

from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 30


class ProgressLine:
    """A :data:`api.services.jobs.Progress` callback writing to ``stream`` (stderr)."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self._label = label
        self._stream = stream if stream is not None else sys.stderr
        self._tty = self._stream.isatty()
        self._last_tenth = -1
        self._open = False  # a bar drawn with \\r and not yet ended by a newline

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "bootstrap" and total > 0:
            if self._tty:
                filled = BAR_WIDTH * done // total
                bar = "#" * filled + "." * (BAR_WIDTH - filled)
                self._write(f"\r{self._label}: bootstrap [{bar}] {done}/{total}", end="")
                self._open = done < total
                if not self._open:
                    self._write("")
                return
            tenth = 10 * done // total
            if tenth != self._last_tenth:
                self._last_tenth = tenth
                self._write(f"{self._label}: bootstrap {done}/{total}")
            return
        if self._open:
            self._write("")
            self._open = False
        self._write(f"{self._label}: {stage}")

    def _write(self, text: str, end: str = "\n") -> None:
        self._stream.write(text + end)
        self._stream.flush()
