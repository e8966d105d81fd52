"""Settings from the environment (prefix ``MEIHAO_``), cached once per process."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_PATH = Path("var") / "meihao.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEIHAO_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{DEFAULT_DB_PATH}"
    host: str = "127.0.0.1"
    port: int = 8000
    # Signs session cookies, open survey links, invitation slips and CSRF tokens. When unset,
    # a random key is made once and kept in ``secret_file``, so the server and the CLI (which
    # prints posters and slips) agree, and links stay valid across restarts.
    secret_key: str = ""
    secret_file: Path = Path("var") / "secret.key"
    default_model: str = "equal"
    bootstrap_replicates: int = 1000
    max_body_bytes: int = 256 * 1024
    submit_rate_per_minute: int = 120
    # The address residents reach the server at (behind the reverse proxy): posters, slips and
    # links encode it. Empty: http://host:port, which only works on the server's own network.
    public_base_url: str = ""
    # Who runs the survey, shown in the residents' notice in place of its "[联系人及电话]".
    organiser_name: str = ""
    organiser_contact: str = ""
    # Privacy: unfinished drafts and raw free-text answers are deleted after these many days.
    draft_retention_days: int = 30
    free_text_retention_days: int = 365


def base_url(settings: Settings, given: str | None = None) -> str:
    """The public address links and posters encode: ``given``, the setting, or host:port."""
    return (given or settings.public_base_url or f"http://{settings.host}:{settings.port}").rstrip(
        "/"
    )


def load_or_create_secret(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: when two processes start at once, one writes and the other reads its key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def complete(settings: Settings) -> Settings:
    """``settings`` with a secret key filled in from the secret file when none was given."""
    if settings.secret_key:
        return settings
    return settings.model_copy(update={"secret_key": load_or_create_secret(settings.secret_file)})


@lru_cache
def get_settings() -> Settings:
    return complete(Settings())
