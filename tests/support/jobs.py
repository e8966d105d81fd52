"""Waiting for a scoring job the way an API client does: follow the 202's job URL."""

from __future__ import annotations

import time
from typing import Any, Protocol


class Getter(Protocol):
    def get(self, url: str, **kw: Any) -> Any: ...


def job_url(accepted: Any) -> str:
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    return str(body["url"] if "url" in body else body["job"]["url"])


def finished_job(
    client: Getter, accepted: Any, headers: dict[str, str] | None = None, timeout: float = 120
) -> dict[str, Any]:
    """The job's final state (done or dead), polling its URL."""
    url = job_url(accepted)
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(url, headers=headers or {}).json()
        if job["status"] in ("done", "dead"):
            return dict(job)
        assert time.monotonic() < deadline, f"job still {job['status']} after {timeout} s"
        time.sleep(0.1)


def scored_snapshot(
    client: Getter, accepted: Any, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """The snapshot a 202 led to (asserting the job succeeded)."""
    job = finished_job(client, accepted, headers)
    assert job["status"] == "done", job
    return dict(job["snapshot"])
