"""The real server's log keeps residents anonymous: a whole form session leaves no link token,
no client id and no client address in it (issue 16, item 5)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from tests.support.factories import complete_answers, seed_minimal
from tests.support.live import running_server, server_env
from tests.support.survey_form import SECRET, count, fill_until, open_path

pytestmark = pytest.mark.e2e


def test_a_residents_form_session_leaves_no_token_cid_or_address_in_the_log(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/live.db"
    engine = make_engine(url)
    upgrade(engine)
    seed_minimal(engine)
    log = tmp_path / "server.log"
    path = open_path(secret=SECRET)
    token = path.removeprefix("/s/")
    env = server_env(url, MEIHAO_SECRET_KEY=SECRET, MEIHAO_SUBMIT_RATE_PER_MINUTE="100000")
    with running_server(env, log=log) as server, server.client(follow_redirects=True) as browser:
        answers: dict[str, Any] = complete_answers()
        done = fill_until(browser, path, answers)  # type: ignore[arg-type]
        assert "提交成功" in done.html, done.html[:500]
        cid = browser.cookies.get("meihao_cid") or ""
        again = browser.get(f"{path}?cid={cid}&page=1")  # a returning resident's link
        assert again.status_code == 200
    assert count(engine) == 1
    engine.dispose()
    text = log.read_text(errors="replace")
    assert '"GET /s/…' in text and '"POST /s/…' in text  # the requests are logged ...
    assert token not in text and token[:12] not in text  # ... without the link token,
    for client_id in set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f-]{14}", done.html)):
        assert client_id not in text  # the client id
    assert "cid=" not in text
    requests = [line for line in text.splitlines() if '"GET ' in line or '"POST ' in line]
    assert len(requests) >= 8
    assert not [line for line in requests if "127.0.0.1" in line]  # nor the client's address
