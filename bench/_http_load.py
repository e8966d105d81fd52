"""A small HTTP/1.1 load generator for the server benchmarks (P5, P7): asyncio, keep-alive.

``wrk`` is not installed on the development machines, and httpx costs ~0.5 ms of client CPU per
request, which on two shared cores would be taken from the server under test. This sends
pre-built request bytes over ``concurrency`` persistent connections and reads each response
(status line, headers, ``Content-Length`` body): a few tens of µs of client CPU per request.
It still runs on the same two cores as the server; the benchmarks say so in their params.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parent.parent


@dataclass
class LoadResult:
    elapsed_s: float
    latencies_s: np.ndarray
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def throughput(self) -> float:
        return len(self.latencies_s) / self.elapsed_s

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies_s, q) * 1000)


def get(path: str, port: int) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()


def post_json(path: str, port: int, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json"
        f"\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _client(
    port: int, queue: Iterator[bytes], latencies: list[float], statuses: Counter[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for request in queue:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            close = False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                lowered = name.strip().lower()
                if lowered == b"content-length":
                    length = int(value)
                elif lowered == b"connection" and value.strip().lower() == b"close":
                    close = True
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[status] += 1
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def _blast(port: int, requests: list[bytes], concurrency: int) -> LoadResult:
    shared = iter(requests)  # every client takes the next request: no client idles early
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    started = time.perf_counter()
    await asyncio.gather(*(_client(port, shared, latencies, statuses) for _ in range(concurrency)))
    return LoadResult(time.perf_counter() - started, np.array(latencies), statuses)


def blast(port: int, requests: list[bytes], concurrency: int = 64) -> LoadResult:
    """Send every request once, ``concurrency`` at a time, and time them."""
    return asyncio.run(_blast(port, requests, concurrency))


@contextmanager
def server(
    env: dict[str, str], log: Path, workers: int = 1, module: str | None = None
) -> Iterator[int]:
    """``python -m api.cli serve`` on a free port: the real process, ``workers`` uvicorn workers
    (``module``: ``python -m module --port N`` instead, e.g. P5's floor app)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")} | env
    with log.open("ab") as out:
        command = [sys.executable, "-m", module, "--port", str(port)] if module else None
        process = subprocess.Popen(
            command
            or [
                sys.executable,
                "-m",
                "api.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                # The bench's questionnaire notice keeps its placeholders (no organiser is set).
                "--allow-placeholders",
                "--workers",
                str(workers),
            ],
            cwd=REPO,
            env=full_env,
            stdout=out,
            stderr=out,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}; see {log}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {log}")
            time.sleep(0.1)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
