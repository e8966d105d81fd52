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
    bootstrap_replicates: int = 1000
    max_body_bytes: int = 256 * 1024
    # Rate limits per client address and minute (api/web/ratelimit.py), shared by every server
    # process through the database. Generous: a compound shares one Wi-Fi, carriers put many
    # phones behind one address (CGNAT); a resident's form makes ~10 page views and autosaves.
    submit_rate_per_minute: int = 120
    # Client addresses in the access log: off, so a resident's address is never written next to
    # the request that carried their answers (docs/access.md, Logs).
    access_log_addresses: bool = False
    # Scoring jobs (api/services/jobs.py): run by the server itself after the response (the
    # default on SQLite), or left to `meihao worker` processes (the default on PostgreSQL).
    jobs_in_process: bool | None = None
    job_lease_seconds: float = 60.0
    # Seconds a signed-in credential (token or session) is remembered per process
    # (survey/storage/credential_cache.py): revocation made by *another* process is seen here
    # within this long; in the process that revokes, at once. 0 turns the cache off.
    auth_cache_seconds: float = 5.0

    @property
    def runs_jobs_in_process(self) -> bool:
        if self.jobs_in_process is not None:
            return self.jobs_in_process
        return self.database_url.startswith("sqlite")

    page_rate_per_minute: int = 600
    autosave_rate_per_minute: int = 1200
    # Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For is believed
    # (e.g. "127.0.0.1,10.0.0.0/8"); from anyone else the header is ignored, so a client cannot
    # pick the address its limit is counted on.
    trusted_proxies: str = ""
    # Residents' comments reach officials only once the wave is closed, or this many days after
    # they were written (so a comment cannot be tied to who was seen answering that day).
    comment_delay_days: int = 14
    # Retention (`meihao retention`, and once a day the wave schedule; `meihao drafts`): drafts
    # and raw free text are deleted after these many days (drafts: since last touched; free
    # text: since it was submitted).
    draft_retention_days: int = 30
    free_text_retention_days: int = 365
    # Ballot-stuffing scans (api/services/stuffing.py): an open wave with new answers is scanned
    # at least this often (a `scan` job), and its close job scans once more before scoring.
    stuffing_scan_minutes: float = 15.0
    # The address residents reach the server at (behind the reverse proxy): posters, slips and
    # links encode it. Empty: http://host:port, which only works on the server's own network.
    public_base_url: str = ""
    # Who runs the survey, shown in the residents' notice in place of its "[联系人及电话]".
    organiser_name: str = ""
    organiser_contact: str = ""


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


def secret_configured() -> bool:
    """Whether the secret key is configured (environment or ``.env``) rather than read from, or
    generated into, the secret file: what several processes or hosts need."""
    return bool(Settings().secret_key)


@lru_cache
def get_settings() -> Settings:
    return complete(Settings())
