"""Starting the real server process (``meihao serve``) for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def meihao(
    *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the ``meihao`` command in a subprocess and fail loudly with its output."""
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"meihao {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
    env.update(
        {
            "MEIHAO_DATABASE_URL": database_url,
            "MEIHAO_SECRET_KEY": "test-secret",
            "MEIHAO_BOOTSTRAP_REPLICATES": "200",
            # `meihao serve` refuses to show residents a notice with placeholders.
            "MEIHAO_ORGANISER_NAME": "测试主办方",
            "MEIHAO_ORGANISER_CONTACT": "028-00000000",
        }
    )
    if "MEIHAO_REQUIRE_ALL" in os.environ:
        env["MEIHAO_REQUIRE_ALL"] = os.environ["MEIHAO_REQUIRE_ALL"]
    env.update(extra)
    return env


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]

    def client(self, **kw: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kw)  # type: ignore[arg-type]


def start_server(
    env: dict[str, str],
    port: int | None = None,
    log: Path | None = None,
    *,
    command: list[str] | None = None,
    cwd: Path = REPO,
) -> LiveServer:
    """``meihao serve`` (``command``: how to run ``meihao``, default this interpreter's)."""
    port = port or free_port()
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    meihao = command or [sys.executable, "-m", "api.cli"]
    process = subprocess.Popen(
        [*meihao, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=out,
        stderr=out,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}; see {log}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return LiveServer(url, process, env)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError("server did not become healthy within 60 s")


def stop_server(server: LiveServer, *, kill: bool = False) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextmanager
def running_server(env: dict[str, str], log: Path | None = None) -> Iterator[LiveServer]:
    server = start_server(env, log=log)
    try:
        yield server
    finally:
        stop_server(server)
