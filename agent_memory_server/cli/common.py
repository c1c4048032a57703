"""What the `agent-memory` commands share: settings, running a coroutine, a progress bar."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from agent_memory_server.config import Settings


def read_settings() -> Settings:
    """The settings from the environment; refused ones are their message and exit code 1."""
    from pydantic import ValidationError  # noqa: PLC0415

    from agent_memory_server.config import Settings, describe_invalid  # noqa: PLC0415
    from agent_memory_server.errors import ConfigurationError  # noqa: PLC0415

    try:
        return Settings()
    except ValidationError as e:
        typer.echo(f"error: {describe_invalid(e)}", err=True)
        raise typer.Exit(1) from e
    except ConfigurationError as e:
        typer.echo(f"error: {e.message}", err=True)
        raise typer.Exit(1) from e


def load_settings() -> Settings:
    """The settings from the environment, with logging set up by them."""
    from agent_memory_server.logs import configure_logging  # noqa: PLC0415

    settings = read_settings()
    configure_logging(settings)  # stderr: stdout is reserved for protocol frames in stdio mode
    return settings


def run_async(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a command's coroutine; a domain error is its message and exit code 1."""
    from agent_memory_server.errors import MemoryServerError  # noqa: PLC0415

    try:
        asyncio.run(main())
    except MemoryServerError as e:  # a bad setting or request: its message, no traceback
        typer.echo(f"error: {e.message}", err=True)
        raise typer.Exit(1) from e


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (stdout may carry data), fed with (done, total)."""
    with typer.progressbar(length=1, label=label, file=sys.stderr) as bar:

        def update(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        yield update
