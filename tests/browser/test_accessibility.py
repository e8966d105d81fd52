"""Issue 13, point 10: axe-core (from the npm registry; ``.ci/run`` installs it into
tests/browser/vendor/) injected into headless Chromium over the main pages at 360 and 1280 px,
staff and public: no violation axe rates serious or critical.

The officials' pages forbid every script by their CSP, so the context bypasses the CSP to run
axe; nothing else of the page changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.web.auth import SESSION_COOKIE
from survey.storage.access import open_link_token
from tests.browser.test_officials_screenshots import admin_cookie
from tests.conftest import skip_or_fail
from tests.support import officials_district
from tests.support.chromium import ARGS, CHROMIUM, require_chromium
from tests.support.live import LiveServer, running_server, server_env

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

AXE = Path(__file__).resolve().parent / "vendor" / "node_modules" / "axe-core" / "axe.min.js"
WAVE = officials_district.LAST
STAFF_PAGES = [
    f"/waves/{WAVE}",
    f"/waves/{WAVE}/streets/CH01",
    f"/waves/{WAVE}/communities/CH02-001",
    f"/waves/{WAVE}/communities/{officials_district.SUPPRESSED}",
    "/trends",
    "/trends/communities/CH02-001",
    f"/waves/{WAVE}/communities/NOPE-404",  # the 404 page
    "/logout",
    "/actions",
    "/admin/waves",
    "/admin/district",
    "/admin/questionnaires",
    "/admin/staff",
    "/admin/audit",
]
# The residents' public results of the first (closed) wave, as the poster leads to them.
PUBLIC_PAGES = ["/", "/login", f"/p/{officials_district.WAVES[0]}/CH02-001"]
SERIOUS = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))
  }));
}"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    require_chromium()
    if not AXE.exists():
        skip_or_fail(f"axe-core not installed at {AXE} (npm install axe-core, see .ci/run)")
    district = officials_district.build(tmp_path, plant=False)
    url = f"sqlite:///{district.path}"
    with running_server(server_env(url), log=tmp_path / "server.log") as live:
        yield live, url


def test_no_serious_or_critical_accessibility_violations(
    server: tuple[LiveServer, str],
) -> None:
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    live, url = server
    cookie = admin_cookie(live, url)
    resident = "/s/" + open_link_token(
        secret=live.env["MEIHAO_SECRET_KEY"], wave_code=WAVE, community_code="CH02-001"
    )
    found: dict[str, list[dict[str, Any]]] = {}
    checked = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width, height in ((360, 740), (1280, 900)):
            for staff in (True, False):
                context = browser.new_context(
                    viewport={"width": width, "height": height}, locale="zh-CN", bypass_csp=True
                )
                if staff:
                    context.add_cookies(
                        [{"name": SESSION_COOKIE, "value": cookie, "url": live.url}]
                    )
                page = context.new_page()
                for path in STAFF_PAGES if staff else [*PUBLIC_PAGES, resident]:
                    page.goto(live.url + path)
                    page.add_script_tag(path=str(AXE))
                    violations = page.evaluate(RUN_AXE)
                    checked += 1
                    bad = [v for v in violations if v["impact"] in SERIOUS]
                    if bad:
                        found[f"{path} @ {width}px"] = bad
                context.close()
        browser.close()
    assert checked == 2 * (len(STAFF_PAGES) + len(PUBLIC_PAGES) + 1)
    assert not found, found
