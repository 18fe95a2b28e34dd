"""The service's settings: the shared `Settings` plus what only the HTTP edge reads (same prefix)."""

from __future__ import annotations

from pydantic import SecretStr

from screening.settings import Settings


class ApiSettings(Settings):
    # Largest request body accepted on an upload or webhook (bytes); larger ones get 413 before they are read.
    max_upload_bytes: int = 20 * 1024 * 1024
    # Submissions per minute and API key, sustained (a token bucket held in this process's memory) ...
    rate_limit_per_minute: float = 120.0
    # ... and how many may come at once before the bucket runs dry (429 with Retry-After).
    rate_limit_burst: int = 60
    # Threads that run the (sync) routes of one API process. The work is short and holds the interpreter
    # lock, so a few threads keep the cores busy while others wait for the database.
    api_threads: int = 8
    # How long (seconds) a process trusts an API key it looked up before it looks again (0: every request).
    key_cache_seconds: float = 30.0
    # Worker threads that run screenings in embedded mode (no broker): the work is CPU-bound.
    embedded_workers: int = 2
    # The web UI's session cookie: signed with this secret (set it when several API processes serve the
    # UI; without it each process makes one at start and sessions end when it restarts) ...
    session_secret: SecretStr | None = None
    # ... valid this many hours after login ...
    session_hours: float = 8.0
    # ... and sent over HTTPS only (set true behind TLS).
    session_secure_cookie: bool = False
    # Embedded mode: how often (seconds) due webhooks and alert emails go out and re-screens are queued.
    alert_every: float = 30.0
    # The broker queue the screening tasks go to, for the queue-depth metric (Celery's default name).
    broker_queue: str = "celery"


def get_api_settings(**overrides: object) -> ApiSettings:
    """Settings from the environment, with explicit values (command-line options) taking precedence."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    return ApiSettings(**clean)  # type: ignore[arg-type]
