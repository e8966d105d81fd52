"""Comments reach officials after the deployment's ``comment_delay_days``, not a delay of the
code's own: the scorecard page and ``meihao scorecards`` both read the setting (issue 11, 5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from api.cli.main import main
from api.services.snapshot_store import clear_cache
from api.settings import Settings, get_settings
from survey.storage.db import make_engine
from tests.support.officials_district import COMMENTS_SHOWN, LAST, sign_in

SHOWN = '<ul class="comments">'
AGE_DAYS = 5  # the planted comments' age: past a 3-day delay, within the default 14 days


def age_comments(url: str) -> None:
    """Reopen the last wave and date every response of it ``AGE_DAYS`` back."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE wave SET status = 'open' WHERE code = :w"), {"w": LAST})
        conn.execute(
            text(
                "UPDATE response SET submitted_at = :t "
                "WHERE wave_id = (SELECT id FROM wave WHERE code = :w)"
            ),
            {"t": datetime.now(UTC).replace(tzinfo=None) - timedelta(days=AGE_DAYS), "w": LAST},
        )
    engine.dispose()


def scorecard(settings: Settings) -> str:
    clear_cache()
    with TestClient(create_app(settings)) as client:
        html = sign_in(client, "admin").get(f"/waves/{LAST}/communities/{COMMENTS_SHOWN}").text
    clear_cache()
    return html


@pytest.fixture
def aged(officials_settings: Settings) -> Iterator[Settings]:
    age_comments(officials_settings.database_url)
    yield officials_settings


def test_the_page_uses_the_configured_delay(aged: Settings) -> None:
    assert aged.comment_delay_days == 14  # the default: five-day-old comments wait
    assert SHOWN not in scorecard(aged)
    short = aged.model_copy(update={"comment_delay_days": 3})
    assert SHOWN in scorecard(short)
    longer = aged.model_copy(update={"comment_delay_days": AGE_DAYS + 1})
    assert SHOWN not in scorecard(longer)


@pytest.mark.parametrize(("delay", "shown"), [("3", True), ("14", False)])
def test_printed_scorecards_use_the_configured_delay(
    aged: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, delay: str, shown: bool
) -> None:
    monkeypatch.setenv("MEIHAO_DATABASE_URL", aged.database_url)
    monkeypatch.setenv("MEIHAO_SECRET_KEY", "test-secret")
    monkeypatch.setenv("MEIHAO_COMMENT_DELAY_DAYS", delay)
    get_settings.cache_clear()
    try:
        assert main(["scorecards", "--wave", LAST, "--out", str(tmp_path)]) == 0
    finally:
        get_settings.cache_clear()
        clear_cache()
    html = (tmp_path / f"{LAST}-{COMMENTS_SHOWN}.html").read_text(encoding="utf-8")
    assert (SHOWN in html) is shown
