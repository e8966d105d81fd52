"""Settings from the environment (prefix ``MEIHAO_``), cached once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_PATH = Path("var") / "meihao.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEIHAO_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{DEFAULT_DB_PATH}"
    host: str = "127.0.0.1"
    port: int = 8000
    # Signs session cookies, open survey links and CSRF tokens. The demo derives one per
    # database file; a deployment must set MEIHAO_SECRET_KEY.
    secret_key: str = "dev-only-change-me"
    default_model: str = "equal"
    bootstrap_replicates: int = 1000
    max_body_bytes: int = 256 * 1024
    submit_rate_per_minute: int = 120


@lru_cache
def get_settings() -> Settings:
    return Settings()
