"""Running the ``meihao`` command in-process (``api.cli.main.main``), as a subprocess would.

``meihao(*args, env=...)`` applies the ``MEIHAO_*`` variables of ``env`` for the duration of the
call (the command reads them through ``api.settings.get_settings``), captures stdout and stderr
and returns them with the exit status, like ``subprocess.run`` would, without paying for a new
interpreter and its imports on every call.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from collections.abc import Iterator, Mapping

from api.cli.main import main
from api.settings import Settings, get_settings


@contextlib.contextmanager
def meihao_environment(env: Mapping[str, str]) -> Iterator[None]:
    """The process environment's ``MEIHAO_*`` variables replaced by those of ``env``."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("MEIHAO_")}
    for key in saved:
        del os.environ[key]
    os.environ.update({k: v for k, v in env.items() if k.startswith("MEIHAO_")})
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key in [k for k in os.environ if k.startswith("MEIHAO_")]:
            del os.environ[key]
        os.environ.update(saved)
        get_settings.cache_clear()


def settings_env(settings: Settings) -> dict[str, str]:
    """The ``MEIHAO_*`` variables that make ``get_settings()`` equal ``settings``."""
    return {
        "MEIHAO_DATABASE_URL": settings.database_url,
        "MEIHAO_SECRET_KEY": settings.secret_key,
        "MEIHAO_BOOTSTRAP_REPLICATES": str(settings.bootstrap_replicates),
        "MEIHAO_HOST": settings.host,
        "MEIHAO_PORT": str(settings.port),
    }


def run_meihao(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``meihao ARGS`` in-process; any exit status, with its captured output."""
    out, err = io.StringIO(), io.StringIO()
    with (
        meihao_environment(env),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            status = main(list(args))
        except SystemExit as exc:  # argparse's usage errors and --help
            status = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess(["meihao", *args], status, out.getvalue(), err.getvalue())


def meihao(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``meihao ARGS`` in-process and fail loudly with its output unless it exits 0."""
    result = run_meihao(*args, env=env)
    if result.returncode != 0:
        raise AssertionError(f"meihao {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result
