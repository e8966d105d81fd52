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
import shutil
import signal
import subprocess
import sys
import tempfile
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


@dataclass
class WrkResult:
    """What wrk reports of one run: the same questions as :class:`LoadResult` asks."""

    requests: int
    elapsed_s: float
    p50_ms: float
    p99_ms: float
    bad_statuses: int  # responses that were not 2xx or 3xx, and socket errors

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed_s

    def percentile_ms(self, q: float) -> float:
        if q == 50:
            return self.p50_ms
        if q == 99:
            return self.p99_ms
        raise ValueError("wrk's summary here gives the 50th and 99th percentiles")


def _lua_string(raw: bytes) -> str:
    """``raw`` as a Lua string literal, byte for byte (Lua's long brackets would turn CRLF
    into LF, which HTTP does not allow)."""
    out = []
    for byte in raw:
        char = chr(byte)
        if 32 <= byte < 127 and char not in '"\\':
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


_WRK_SCRIPT = """
local requests = {%s}
local n = #requests
local i = 0
request = function()
  i = i %% n + 1
  return requests[i]
end
done = function(summary, latency, _)
  local e = summary.errors
  io.write(string.format("WRK %%d %%d %%f %%f %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def wrk_blast(
    port: int, requests: list[bytes], concurrency: int = 64, duration_s: float = 4.0
) -> WrkResult:
    """The same keep-alive load from ``wrk`` (Debian's package): a compiled generator in its
    own process, two threads, a few µs of CPU per request, so that the generator does not
    take the two cores from the server (issue 15). It cycles through ``requests`` for
    ``duration_s`` seconds rather than sending each once: for repeatable reads only."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT % ",\n".join(_lua_string(r) for r in requests))
    try:
        done = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{concurrency}",
                f"-d{max(1, round(duration_s))}s",
                "--timeout",
                "30s",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        os.unlink(script.name)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK "))
    count, duration_us, p50_us, p99_us, bad = line.split()[1:]
    return WrkResult(
        int(count), int(duration_us) / 1e6, float(p50_us) / 1000, float(p99_us) / 1000, int(bad)
    )
