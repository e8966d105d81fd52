"""/docs and /redoc in headless Chromium with every request to another host aborted: the
operations render from this server's own files, under the page's CSP, with no console error."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support.chromium import ARGS, ARTIFACTS, CHROMIUM, require_chromium
from tests.support.live import running_server, server_env

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_api_docs_render_offline(tmp_path: Path) -> None:
    require_chromium()
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    url = f"sqlite:///{tmp_path / 'docs.db'}"
    ARTIFACTS.mkdir(exist_ok=True)
    with running_server(server_env(url), log=tmp_path / "server.log") as live:
        own_host = urlparse(live.url).netloc
        elsewhere: list[str] = []
        problems: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def only_this_server(route: object) -> None:
                request = route.request  # type: ignore[attr-defined]
                if urlparse(request.url).netloc == own_host or request.url.startswith("data:"):
                    route.continue_()  # type: ignore[attr-defined]
                else:
                    elsewhere.append(request.url)
                    route.abort()  # type: ignore[attr-defined]

            page.route("**/*", only_this_server)
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(live.url + "/docs")
            # Swagger UI lists each operation as a block naming its path.
            page.wait_for_selector(".opblock-summary-path", timeout=20_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            assert any("/api/v1/responses" in p for p in paths), paths
            page.screenshot(path=str(ARTIFACTS / "api-docs-1280.png"))
            page.goto(live.url + "/redoc")
            # ReDoc names each operation's path in its right-hand panel.
            page.get_by_text("/api/v1/responses", exact=False).first.wait_for(timeout=20_000)
            browser.close()
    assert not elsewhere, elsewhere
    # ReDoc's footer logo is on the vendor's CDN; the page's policy blocks it before any request.
    blocked_logo = [m for m in problems if "cdn.redoc.ly" in m and "Content Security Policy" in m]
    assert [m for m in problems if m not in blocked_logo] == [], problems
