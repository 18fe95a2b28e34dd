"""Settings, read once at the edges (CLI, API, workers) and passed into the core as plain values.

Every variable is prefixed `TIERSIGHT_` and may also come from a `.env` file (CONTRACT.md section 1).
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIERSIGHT_", env_file=".env", extra="ignore")

    # Where the network, screenings and decisions live. SQLite file by default (embedded mode).
    database_url: str = "sqlite:///./tiersight.db"
    # Celery broker; None = embedded mode, work runs in-process.
    broker_url: str | None = None
    # Celery result backend (optional).
    result_backend: str | None = None
    # Outbound mail for alerts, e.g. smtp://127.0.0.1:1025 (smtps:// for TLS; user:password@ when needed).
    smtp_url: str | None = None
    # The From address of alert emails.
    smtp_sender: str = "tiersight@localhost"
    # Where people reach the service: the base of the report links in alert emails.
    public_url: str = "http://127.0.0.1:8000"
    # Rule folder; the shipped `rules/` when unset.
    rules_dir: Path = REPO_RULES_DIR
    # Outbound webhooks to loopback are refused unless this is true (local use and tests).
    webhook_allow_loopback: bool = False
    # Where the matching index is kept on disk, one file per network version, matcher version and
    # settings, so that a new process (command, worker) reads it instead of building it again (about a
    # minute for a million companies). Written atomically; a file from another version or a damaged one is
    # rebuilt, never used; the three most recently used files are kept. Relative paths are resolved from
    # the working directory, as the default SQLite file is.
    index_dir: Path = Path(".tiersight-cache")


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit command-line values taking precedence."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**clean)  # type: ignore[arg-type]
