from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine


@pytest.fixture
def cli_db(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Engine]:
    """A migrated database the in-process ``meihao`` command works on."""
    from api.settings import get_settings

    monkeypatch.setenv("MEIHAO_DATABASE_URL", db_url)
    monkeypatch.setenv("MEIHAO_SECRET_KEY", "test-secret")
    monkeypatch.setenv("MEIHAO_SECRET_FILE", str(tmp_path / "secret"))
    for name in ("MEIHAO_ORGANISER_NAME", "MEIHAO_ORGANISER_CONTACT", "MEIHAO_PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()
