"""The ``meihao`` command: one module per group of sub-commands, parsed in :mod:`api.cli.main`."""

from api.cli.main import main

__all__ = ["main"]
