"""`agent-memory export` and `agent-memory import`: long-term memory as JSON Lines."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from agent_memory_server.cli.common import load_settings, progress_bar, run_async

transfer_app = typer.Typer()


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[BinaryIO]:
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with path.open("wb") as file:
        yield file


@transfer_app.command("export")
def export_command(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of to stdout")
    ] = None,
    namespace: Annotated[str | None, typer.Option(help="Only this namespace")] = None,
    user_id: Annotated[str | None, typer.Option(help="Only this user's memories")] = None,
) -> None:
    """Write long-term memories as JSON Lines: one whole record a line, no vectors."""
    from agent_memory_server.resources import open_resources  # noqa: PLC0415
    from agent_memory_server.services.transfer import export_records, to_line  # noqa: PLC0415

    settings = load_settings()
    count = 0

    async def main(out: BinaryIO) -> None:
        nonlocal count
        # The index is not read: exporting works whichever embedder built it.
        async with open_resources(settings, check_index=False) as resources:
            with progress_bar("exporting") as progress:
                async for record in export_records(
                    resources, namespace=namespace, user_id=user_id, progress=progress
                ):
                    out.write(to_line(record).encode() + b"\n")
                    count += 1

    with _output(output) as out:
        run_async(lambda: main(out))
    typer.echo(f"exported {count} memories", err=True)


@contextlib.contextmanager
def _input(path: Path) -> Iterator[Path]:
    """The file to import; `-` spools stdin to a temporary file (the file is read twice)."""
    if str(path) != "-":
        yield path
        return
    with tempfile.NamedTemporaryFile(prefix="agent-memory-import-", suffix=".jsonl") as spool:
        shutil.copyfileobj(sys.stdin.buffer, spool)
        spool.flush()
        yield Path(spool.name)


@transfer_app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="A file from `agent-memory export`, or - for stdin")],
) -> None:
    """Store the records of an export file by id, every field kept; texts are re-embedded."""
    from agent_memory_server.resources import open_resources  # noqa: PLC0415
    from agent_memory_server.services.transfer import import_records  # noqa: PLC0415

    settings = load_settings()

    async def main(source: Path) -> None:
        async with open_resources(settings) as resources:
            with progress_bar("importing") as progress:
                count = await import_records(resources, source, progress)
        typer.echo(f"imported {count} memories (embedded with {resources.embedder.name})")

    with _input(path) as source:
        run_async(lambda: main(source))
