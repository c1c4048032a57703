"""`agent-memory token add|list|show|remove`: API tokens for AUTH_MODE=token."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:  # imported when a command runs: `agent-memory --help` stays fast
    from agent_memory_server.storage.api_tokens import TokenRecord, TokenStore

token_app = typer.Typer(help="API tokens (AUTH_MODE=token).", no_args_is_help=True)
T = TypeVar("T")


def _with_tokens(work: Callable[[TokenStore], Awaitable[T]]) -> T:
    from agent_memory_server.cli.common import read_settings  # noqa: PLC0415
    from agent_memory_server.errors import MemoryServerError  # noqa: PLC0415
    from agent_memory_server.resources import open_token_store  # noqa: PLC0415

    settings = read_settings()

    async def main() -> T:
        async with open_token_store(settings) as tokens:
            return await work(tokens)

    try:
        return asyncio.run(main())
    except MemoryServerError as e:
        typer.echo(f"error: {e.message}", err=True)
        raise typer.Exit(1) from e


def _when(epoch: float | None) -> str:
    return "never" if epoch is None else time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


def _describe(record: TokenRecord) -> dict[str, object]:
    return {
        "id": record.id, "name": record.name, "namespaces": record.namespaces,
        "user_id": record.user_id, "created_at": _when(record.created_at),
        "expires_at": _when(record.expires_at),
    }  # fmt: skip


@token_app.command("add")
def add(
    name: Annotated[str, typer.Option(help="Who or what the token is for")],
    namespace: Annotated[
        list[str] | None, typer.Option(help="Bind to this namespace (repeat); default: any")
    ] = None,
    user_id: Annotated[str | None, typer.Option(help="Bind to this user; default: any")] = None,
    expires_days: Annotated[
        float | None, typer.Option(min=0.001, help="Expire after N days")
    ] = None,
) -> None:
    """Create a token and print it once (only its SHA-256 is stored)."""
    from agent_memory_server.services.auth import add_token  # noqa: PLC0415

    token, record = _with_tokens(
        lambda tokens: add_token(
            tokens, name, namespace, user_id=user_id, expires_in_days=expires_days
        )
    )
    typer.echo(token)
    typer.echo(json.dumps(_describe(record)), err=True)


@token_app.command("list")
def list_command() -> None:
    """List live tokens (ids, names, bindings, expiry; never the tokens)."""
    from agent_memory_server.services.auth import list_tokens  # noqa: PLC0415

    for record in _with_tokens(list_tokens):
        typer.echo(json.dumps(_describe(record)))


@token_app.command("show")
def show(token_id: Annotated[str, typer.Argument(help="The token's id (see list)")]) -> None:
    """Show one token's record."""
    from agent_memory_server.services.auth import show_token  # noqa: PLC0415

    typer.echo(json.dumps(_describe(_with_tokens(lambda tokens: show_token(tokens, token_id)))))


@token_app.command("remove")
def remove(token_id: Annotated[str, typer.Argument(help="The token's id (see list)")]) -> None:
    """Revoke a token at once."""
    from agent_memory_server.services.auth import remove_token  # noqa: PLC0415

    _with_tokens(lambda tokens: remove_token(tokens, token_id))
    typer.echo(f"removed {token_id}")
