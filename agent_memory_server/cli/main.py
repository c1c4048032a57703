"""The `agent-memory` command: version | api | mcp | task-worker | search | export | import | ..."""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast, get_args

import typer

from agent_memory_server import __version__
from agent_memory_server.cli.api_tokens import token_app
from agent_memory_server.cli.common import load_settings, progress_bar, run_async
from agent_memory_server.cli.transfer import transfer_app

# Each command imports what it needs when it runs: `agent-memory version` and `--help` must not
# pay for the web stack, the MCP SDK, Redis clients or models (seconds of imports).
if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

app = typer.Typer(help="agent-memory-server: memory for AI agents.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(transfer_app)  # export, import: top-level commands


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
    import uvicorn  # noqa: PLC0415

    from agent_memory_server.app import create_app  # noqa: PLC0415
    from agent_memory_server.errors import ConfigurationError  # noqa: PLC0415
    from agent_memory_server.services.auth import exposure_warning  # noqa: PLC0415

    settings = load_settings()
    host = host or settings.host
    port = port or settings.port
    settings = settings.model_copy(update={"host": host})  # the /ui switch reads the bind host
    # Our request log replaces uvicorn's access log, and uvicorn's own records go through
    # our handler (log_config=None), so that LOG_FORMAT=json gives JSON lines only.
    if reload:
        os.environ["HOST"] = host  # the reloaded app reads its settings (and /ui switch) anew
        uvicorn.run(
            "agent_memory_server.app:create_app_from_env",
            host=host,
            port=port,
            reload=True,
            factory=True,
            log_config=None,
            access_log=False,
        )
        return
    warning = exposure_warning(settings, host)
    if warning:
        logger.warning(warning)
    try:
        uvicorn.run(
            create_app(settings), host=host, port=port, log_level=settings.log_level.lower(),
            log_config=None, access_log=False,
        )  # fmt: skip
    except ConfigurationError as e:
        typer.echo(f"error: {e.message}", err=True)
        raise typer.Exit(1) from e


McpMode = Literal["stdio", "sse", "streamable-http"]


@app.command()
def mcp(
    mode: Annotated[
        str, typer.Option(help="stdio (Claude Desktop), sse, or streamable-http")
    ] = "stdio",
    host: Annotated[str | None, typer.Option(help="Bind address (default: HOST setting)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: MCP_PORT setting)")] = None,
) -> None:
    """Run the MCP server: on stdin/stdout, or over HTTP at /mcp or /sse (and /{namespace}/...)."""
    if mode not in get_args(McpMode):
        raise typer.BadParameter("mode must be stdio, sse or streamable-http", param_hint="--mode")
    front = None
    if mode == "stdio":  # answers the handshake while the rest imports and starts
        from agent_memory_server.mcp.stdio_front import StdioFront, load_handshake  # noqa: PLC0415

        front = StdioFront(load_handshake())
        front.start()
    import asyncio  # noqa: PLC0415

    from agent_memory_server.mcp.http import HttpTransport  # noqa: PLC0415
    from agent_memory_server.mcp.run import serve_http, serve_stdio  # noqa: PLC0415
    from agent_memory_server.services.auth import exposure_warning  # noqa: PLC0415

    settings = load_settings()
    transport = cast(HttpTransport, mode)
    try:
        if mode == "stdio":
            run_async(lambda: serve_stdio(settings))
        else:
            bind = host or settings.host
            warning = exposure_warning(settings, bind)
            if warning:
                logger.warning(warning)
            run_async(lambda: serve_http(settings, transport, bind, port or settings.mcp_port))
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    finally:
        if front is not None:
            front.close()


@app.command("task-worker")
def task_worker(
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Tasks run at once")] = 4,
    redelivery_timeout: Annotated[
        int, typer.Option(min=1, help="Seconds before an unacknowledged task is redelivered")
    ] = 300,
    metrics_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Serve Prometheus metrics on this port (HOST)"),
    ] = None,
    embedded: Annotated[
        bool, typer.Option(hidden=True, help="Started by a server: settings on stdin")
    ] = False,
) -> None:
    """Run a separate Docket worker (scale out: run as many as you like)."""
    import asyncio  # noqa: PLC0415

    from agent_memory_server.errors import ConfigurationError  # noqa: PLC0415
    from agent_memory_server.logs import configure_logging  # noqa: PLC0415
    from agent_memory_server.metrics import serve_metrics  # noqa: PLC0415
    from agent_memory_server.resources import open_resources, warm_models  # noqa: PLC0415
    from agent_memory_server.tasks import worker_process  # noqa: PLC0415
    from agent_memory_server.tasks.worker import run_worker  # noqa: PLC0415

    if embedded:  # the embedded worker of a server (tasks/worker_process.py)
        settings = worker_process.child_settings()
        configure_logging(settings)
        on_ready = worker_process.announce_ready
    else:
        settings = load_settings()
        on_ready = None

    async def main() -> None:
        task = asyncio.current_task()
        if task is not None:  # `docker stop`: leave the docket and close Redis, then exit 0
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        async with open_resources(settings) as resources:
            warm_models(resources, queries=False)
            with serve_metrics(resources.metrics, settings.host, metrics_port):
                await run_worker(
                    resources, concurrency, timedelta(seconds=redelivery_timeout), on_ready
                )

    try:
        asyncio.run(main())
    except ConfigurationError as e:
        typer.echo(f"error: {e.message}", err=True)
        raise typer.Exit(1) from e
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="What to look for ('' lists newest first)")],
    namespace: Annotated[str | None, typer.Option(help="Only this namespace")] = None,
    user_id: Annotated[str | None, typer.Option(help="Only this user's memories")] = None,
    topics: Annotated[list[str] | None, typer.Option(help="Any of these topics (repeat)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    mode: Annotated[str, typer.Option(help="semantic | keyword | hybrid")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Search long-term memory."""
    if mode not in ("semantic", "keyword", "hybrid"):
        raise typer.BadParameter("mode must be semantic, keyword or hybrid", param_hint="--mode")
    from agent_memory_server.models.filters import TagFilter  # noqa: PLC0415
    from agent_memory_server.models.long_term import SearchMode, SearchRequest  # noqa: PLC0415
    from agent_memory_server.resources import open_resources  # noqa: PLC0415
    from agent_memory_server.services.search import search_memories  # noqa: PLC0415

    request = SearchRequest(
        text=text,
        search_mode=cast(SearchMode, mode),
        limit=limit,
        namespace=TagFilter(eq=namespace) if namespace else None,
        user_id=TagFilter(eq=user_id) if user_id else None,
        topics=TagFilter(any=topics) if topics else None,
    )
    settings = load_settings()

    async def main() -> None:
        async with open_resources(settings) as resources:
            results = await search_memories(resources, request)
        if as_json:
            typer.echo(results.model_dump_json(indent=2))
            return
        typer.echo(f"{results.total} match(es)")
        for m in results.memories:
            typer.echo(
                f"{m.score:7.3f}  {m.id}  [{m.namespace or '-'}/{m.user_id or '-'}]  {m.text}"
            )

    run_async(main)


@app.command("rebuild-index")
def rebuild_index_command() -> None:
    """Recreate the long-term index for the configured embedder and re-embed every record."""
    from agent_memory_server.resources import open_resources  # noqa: PLC0415
    from agent_memory_server.services.index_admin import rebuild_index  # noqa: PLC0415

    settings = load_settings()

    async def main() -> None:
        async with open_resources(settings, check_index=False) as resources:
            with progress_bar("re-embedding") as progress:
                count = await rebuild_index(resources, progress)
        typer.echo(f"re-embedded {count} memories with {resources.embedder.name}")

    run_async(main)


@app.command("migrate-memories")
def migrate_memories() -> None:
    """Apply pending long-term memory schema migrations (safe to run again)."""
    from agent_memory_server.resources import open_resources  # noqa: PLC0415
    from agent_memory_server.services.index_admin import migrate  # noqa: PLC0415

    settings = load_settings()

    async def main() -> None:
        async with open_resources(settings, check_index=False) as resources:
            version = await migrate(resources, typer.echo)
        typer.echo(f"schema version {version}")

    run_async(main)


@app.command("erase-user")
def erase_user_command(
    user_id: Annotated[str, typer.Argument(help="The user whose data goes")],
    namespace: Annotated[str | None, typer.Option(help="Only this namespace")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Delete everything a user owns: sessions, long-term memories, per-user summaries."""
    where = f" in namespace {namespace!r}" if namespace else " in every namespace"
    if not yes:
        typer.confirm(f"Erase all data of user {user_id!r}{where}?", abort=True)
    from agent_memory_server.resources import open_resources  # noqa: PLC0415
    from agent_memory_server.services.erasure import erase_user  # noqa: PLC0415

    settings = load_settings()

    async def main() -> None:
        async with open_resources(settings) as resources:
            result = await erase_user(resources, user_id=user_id, namespace=namespace)
        typer.echo(
            f"erased user {user_id!r}{where}: {result.sessions_deleted} sessions, "
            f"{result.memories_deleted} memories, {result.summaries_deleted} summaries"
        )

    run_async(main)


@app.command("model-topics")
def model_topics_command(
    namespace: Annotated[str | None, typer.Option(help="Only this namespace")] = None,
    user_id: Annotated[str | None, typer.Option(help="Only this user's memories")] = None,
    min_topic_size: Annotated[int, typer.Option(min=2, max=1000)] = 5,
    apply: Annotated[bool, typer.Option(help="Add each topic's label to its memories")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Find the topics of a scope's memories with BERTopic (the bertopic extra)."""
    from agent_memory_server.models.upkeep import TopicModelRequest  # noqa: PLC0415
    from agent_memory_server.resources import open_resources  # noqa: PLC0415
    from agent_memory_server.services.corpus_topics import model_topics  # noqa: PLC0415

    request = TopicModelRequest(
        namespace=namespace, user_id=user_id, min_topic_size=min_topic_size, apply=apply
    )
    settings = load_settings()

    async def main() -> None:
        async with open_resources(settings) as resources:
            result = await model_topics(resources, request)
        if as_json:
            typer.echo(result.model_dump_json(indent=2))
            return
        typer.echo(f"{result.memories} memories, {result.outliers} in no topic")
        for topic in result.topics:
            typer.echo(f"{topic.memory_count:6d}  {topic.label}  ({', '.join(topic.keywords)})")
        if apply:
            typer.echo(f"labelled {result.applied} memories")

    run_async(main)


def _parse_task_args(pairs: list[str]) -> dict[str, Any]:
    """`key=value` pairs; values are JSON when they parse as JSON, else strings."""
    kwargs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise typer.BadParameter(f"{pair!r} is not key=value", param_hint="-a")
        try:
            kwargs[key] = json.loads(value)
        except ValueError:
            kwargs[key] = value
    return kwargs


@app.command("schedule-task")
def schedule_task(
    task_path: Annotated[
        str,
        typer.Argument(
            help="Import path, e.g. agent_memory_server.tasks.collection.enrich_memories"
        ),
    ],
    arg: Annotated[list[str] | None, typer.Option("-a", "--arg", help="key=value (repeat)")] = None,
) -> None:
    """Enqueue any task for the workers."""
    module_name, _, name = task_path.rpartition(".")
    try:
        function = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as e:
        raise typer.BadParameter(f"cannot import {task_path!r}: {e}", param_hint="TASK_PATH") from e
    kwargs = _parse_task_args(arg or [])
    from agent_memory_server.resources import open_resources  # noqa: PLC0415
    from agent_memory_server.services.scheduler import enqueue  # noqa: PLC0415

    settings = load_settings()

    async def main() -> None:
        async with open_resources(settings) as resources:
            execution = await enqueue(resources, function, **kwargs)
        typer.echo(f"scheduled {task_path} as {execution.key}")

    run_async(main)
