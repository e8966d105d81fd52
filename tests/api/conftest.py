from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.factories import seed_minimal


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
