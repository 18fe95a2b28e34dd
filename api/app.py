"""`create_app()`: the FastAPI service (CONTRACT section 7) over the `screening` library.

At start-up the database is migrated and, in embedded mode (no broker), the screenings a previous
process left queued or running are run again; submissions are committed before they are handed to the
runner (the thread pool, or the broker through `workers.enqueue`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from anyio import to_thread
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api import errors, ui
from api.metrics import RequestMetrics
from api.routes import erp, health, review, screenings, subscriptions
from api.runtime import Runtime
from api.settings import ApiSettings, get_api_settings
from screening.settings import Settings

log = logging.getLogger("api")


def _version() -> str:
    try:
        return version("tiersight")
    except PackageNotFoundError:
        return "0"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app over `settings` (default: from the environment). Rules are loaded now: a bad rule folder
    is refused here, naming the file and rule; the database is reached only when the app starts."""
    runtime = Runtime(settings if isinstance(settings, ApiSettings) else _api_settings(settings))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Sync routes run on this many threads; more only contend for the interpreter lock.
        to_thread.current_default_thread_limiter().total_tokens = runtime.settings.api_threads
        await run_in_threadpool(runtime.start)
        try:
            yield
        finally:
            await run_in_threadpool(runtime.stop)

    app = FastAPI(
        title="tiersight",
        version=_version(),
        summary="Multi-tier supply-chain screening for rare-earth magnet and lithium-ion battery content.",
        lifespan=lifespan,
        max_body_size=runtime.settings.max_upload_bytes,  # 413 from Content-Length, or once read past it
    )
    app.state.runtime = runtime
    errors.install(app)
    app.include_router(screenings.router)
    app.include_router(review.router)
    app.include_router(erp.router)
    app.include_router(subscriptions.router)
    app.include_router(health.router)
    ui.install(app, runtime.settings)
    app.add_middleware(RequestMetrics, metrics=runtime.metrics)
    return app


def _api_settings(settings: Settings | None) -> ApiSettings:
    if settings is None:
        return get_api_settings()
    return get_api_settings(**settings.model_dump())
