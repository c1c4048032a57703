"""Domain errors -> tool errors, mapped once for every tool (the MCP twin of api/errors.py).

Every tool error starts with its kind's label (errors.py's table, which also gives the REST
status), names the problem, and says whether a retry may help. Unexpected failures are logged
with their traceback (to stderr) and reported without internals.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import mcp_types
from fastmcp.exceptions import ToolError
from fastmcp.exceptions import ValidationError as ArgumentError
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.tools.base import ToolResult
from pydantic import ValidationError

from agent_memory_server import errors
from agent_memory_server.models import json_values

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

FIX_INPUT = errors.FIX_INPUT
MAX_DETAILS = 5
INFO = logging.INFO


def describe_validation(error: ValidationError) -> str:
    """`field.path: what is wrong` for the first few errors, without echoing the input."""
    details = []
    for item in error.errors(include_url=False, include_input=False)[:MAX_DETAILS]:
        where = ".".join(str(part) for part in item["loc"]) or "input"
        message = str(item["msg"]).removeprefix("Value error, ")
        details.append(f"{where}: {message}")
    more = error.error_count() - len(details)
    if more > 0:
        details.append(f"and {more} more")
    return "; ".join(details)


def invalid_input(error: ValidationError) -> ToolError:
    detail = describe_validation(error)
    return ToolError(f"Invalid input: {detail}. {FIX_INPUT}", log_level=INFO)


def to_tool_error(error: Exception, tool: str) -> ToolError:
    """The tool error for any exception a tool body raised."""
    if isinstance(error, ToolError):
        return error
    if isinstance(error, ValidationError):
        return invalid_input(error)
    if isinstance(error, errors.ANSWERED):
        error = errors.as_domain_error(error)
    if isinstance(error, errors.MemoryServerError):
        message = error.message.rstrip(". ")
        return ToolError(f"{error.label}: {message}. {error.advice}", log_level=error.log_level)
    logger.error("tool %s failed", tool, exc_info=error)
    return ToolError(
        f"Internal error in {tool}; the details were logged on the server. "
        "A retry may help if the failure was transient."
    )


def mapped(tool: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Wrap a tool body so that every exception leaves it as a mapped ToolError."""

    @functools.wraps(tool)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await tool(*args, **kwargs)
        except Exception as e:
            raise to_tool_error(e, tool.__name__) from e

    return run


class ArgumentErrors(Middleware):
    """Arguments that cannot be stored (models/json_values.py) or fail the tool's own schema
    (checked before the body runs)."""

    async def on_call_tool(
        self,
        context: MiddlewareContext[mcp_types.CallToolRequestParams],
        call_next: CallNext[mcp_types.CallToolRequestParams, ToolResult],
    ) -> ToolResult:
        arguments = context.message.arguments or {}
        found = json_values.problem(arguments, json_values.MAX_JSON_DEPTH + 1, "arguments")
        if found is not None:
            raise ToolError(f"Invalid input: {found}. {FIX_INPUT}", log_level=INFO)
        try:
            return await call_next(context)
        except ArgumentError as e:
            cause = e.__cause__
            if isinstance(cause, ValidationError):
                raise invalid_input(cause) from e
            raise ToolError(f"Invalid input: {e}. {FIX_INPUT}", log_level=INFO) from e
