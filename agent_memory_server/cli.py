"""The `agent-memory` command: version | api | task-worker."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import timedelta
from typing import Annotated

import typer
import uvicorn

from agent_memory_server import __version__
from agent_memory_server.app import create_app
from agent_memory_server.config import Settings
from agent_memory_server.errors import ConfigurationError
from agent_memory_server.resources import open_resources
from agent_memory_server.tasks.worker import run_worker

app = typer.Typer(help="agent-memory-server: memory for AI agents.", no_args_is_help=True)


def _settings() -> Settings:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,  # stdout is reserved for protocol frames in stdio mode
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return settings


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Bind address (default: HOST setting)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: PORT setting)")] = None,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
) -> None:
    """Run the REST API (with an embedded task worker unless EMBEDDED_WORKER=false)."""
    settings = _settings()
    host = host or settings.host
    port = port or settings.port
    if reload:
        uvicorn.run(
            "agent_memory_server.app:create_app_from_env",
            host=host,
            port=port,
            reload=True,
            factory=True,
        )
        return
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
    except ConfigurationError as e:
        typer.echo(f"error: {e.message}", err=True)
        raise typer.Exit(1) from e


@app.command("task-worker")
def task_worker(
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Tasks run at once")] = 4,
    redelivery_timeout: Annotated[
        int, typer.Option(min=1, help="Seconds before an unacknowledged task is redelivered")
    ] = 300,
) -> None:
    """Run a separate Docket worker (scale out: run as many as you like)."""
    settings = _settings()

    async def main() -> None:
        async with open_resources(settings) as resources:
            await run_worker(resources, concurrency, timedelta(seconds=redelivery_timeout))

    try:
        asyncio.run(main())
    except ConfigurationError as e:
        typer.echo(f"error: {e.message}", err=True)
        raise typer.Exit(1) from e
    except KeyboardInterrupt:
        pass
