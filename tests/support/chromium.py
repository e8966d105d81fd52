"""Debian's Chromium for browser tests: where it is, how it starts here, where pictures go.

The flags keep Chromium off the network (this machine has none but the package registries)
and let it run as root in a container.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import skip_or_fail

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def require_chromium() -> None:
    """Skip (or fail under MEIHAO_REQUIRE_ALL=1) when Debian's Chromium is not installed."""
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"Chromium not found at {CHROMIUM}")
