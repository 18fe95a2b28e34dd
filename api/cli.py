"""The `tiersight` command: `screening.cli`'s commands plus those of the service (CONTRACT section 5):
`apikey create`, `serve` (the HTTP API) and `worker` (a Celery worker, started as its own program so
that `api` never imports the workers)."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer

from api.settings import get_api_settings
from screening import jobs
from screening.cli import DbOption, JsonOption, _fail, _guard, app
from screening.errors import InputError
from screening.services import TENANT_NAME_MAX
from screening.storage.db import make_engine, migrate, session_scope
from screening.storage.service_repository import SqlServiceStore

apikey_app = typer.Typer(help="API keys of the service's tenants.", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")


@apikey_app.command("create")
def apikey_create(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant the key belongs to (created if new).")],
    db: DbOption = None,
    as_json: JsonOption = False,
    label: Annotated[str, typer.Option("--label", help="A note kept with the key (who uses it).")] = "",
) -> None:
    """Create a tenant if needed, a new API key for it (printed once, stored as a digest) and the tenant's
    webhook secret if it has none. Prints the key; with --json also the tenant and the webhook secret."""

    def body() -> None:
        name = tenant.strip()
        if not name or len(name) > TENANT_NAME_MAX:
            raise InputError(f"A tenant name has 1 to {TENANT_NAME_MAX} characters.")
        settings = get_api_settings(database_url=db)
        engine = make_engine(settings.database_url)
        try:
            migrate(engine)
            key = jobs.new_api_key(name)
            with session_scope(engine) as session:
                store = SqlServiceStore(session)
                store.add_api_key(key, label=label)
                secret = store.webhook_secret(name, create=jobs.new_webhook_secret())
        finally:
            engine.dispose()
        if as_json:
            typer.echo(
                json.dumps({"tenant": name, "api_key": key.api_key, "webhook_secret": secret}, indent=2)
            )
            return
        typer.echo(key.api_key)
        typer.echo(f"tiersight: new API key of tenant {name!r} above (shown only now).", err=True)
        typer.echo(f"tiersight: the tenant's webhook secret: {secret}", err=True)

    _guard(body)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    db: DbOption = None,
) -> None:
    """Run the HTTP API. Without TIERSIGHT_BROKER_URL, screenings run in this process."""

    def body() -> None:
        import uvicorn  # the server's imports are paid by this command only

        from api.app import create_app

        settings = get_api_settings(database_url=db)
        engine = make_engine(settings.database_url)
        try:
            migrate(engine)  # a database that cannot be reached stops here, with its reason
        finally:
            engine.dispose()
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")

    _guard(body)


@app.command(
    "worker",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def worker(
    ctx: typer.Context,
    db: DbOption = None,
    loglevel: Annotated[str, typer.Option("--loglevel", help="Celery's log level.")] = "info",
) -> None:
    """Run a Celery worker on TIERSIGHT_BROKER_URL (further arguments go to `celery worker`)."""
    settings = get_api_settings(database_url=db)
    if not settings.broker_url:
        _fail(
            "no broker is configured: set TIERSIGHT_BROKER_URL (e.g. redis://127.0.0.1:6379/0); "
            "without a broker `tiersight serve` runs screenings itself",
            2,
        )
    env = dict(os.environ)
    if db is not None:
        env["TIERSIGHT_DATABASE_URL"] = db
    argv = [sys.executable, "-m", "celery", "-A", "workers.app", "worker", "--loglevel", loglevel, *ctx.args]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)  # the worker replaces this process: signals reach Celery directly


def main() -> None:
    app()


if __name__ == "__main__":
    main()
