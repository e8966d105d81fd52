from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.services.snapshot_store import clear_cache as clear_snapshot_cache
from api.settings import Settings
from tests.support import officials_district as officials
from tests.support.factories import seed_minimal


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(database_url=sqlite_url, secret_key="test-secret", bootstrap_replicates=50)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app on a migrated SQLite file holding street S1, communities C1/C2 and wave W1."""
    app = create_app(settings)
    with TestClient(app) as test_client:
        seed_minimal(app.state.engine)
        yield test_client


# ---- officials' pages and API: a scored synthetic district (tests/api/officials_district.py)


@pytest.fixture(scope="session")
def officials_district(tmp_path_factory: pytest.TempPathFactory) -> officials.District:
    """Built once per session (seeding and scoring three waves); copied by each test."""
    return officials.build(tmp_path_factory.mktemp("officials"))


@pytest.fixture
def officials_settings(officials_district: officials.District, tmp_path: Path) -> Settings:
    return Settings(
        database_url=officials_district.copy_to(tmp_path),
        secret_key="test-secret",
        bootstrap_replicates=50,
    )


@pytest.fixture
def officials_client(officials_settings: Settings) -> Iterator[TestClient]:
    """The app on a private copy of the scored district; sign in with ``sign_in``."""
    clear_snapshot_cache()
    app = create_app(officials_settings)
    with TestClient(app) as test_client:
        yield test_client
    clear_snapshot_cache()
