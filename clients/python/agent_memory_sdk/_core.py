"""What the async and sync clients share: configuration, requests as data, errors, retries.

Every operation is written once, as a generator that yields `Call`s (method, route, params,
body) and receives each `Reply`; the async client drives it with httpx.AsyncClient, the sync
client with httpx.Client. Neither holds any logic of its own.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from agent_memory_sdk import exceptions as errors

T = TypeVar("T")
VERSION = "0.1.0"
ParamValue = str | int | float | bool | list[str]
Params = dict[str, ParamValue]


class MemoryClientConfig(BaseModel):
    """Where the server is and how to talk to it (the first five fields are those of 0.14)."""

    base_url: str
    timeout: float = 30.0
    default_namespace: str | None = None
    default_model_name: str | None = None
    default_context_window_max: int | None = None
    api_key: str | None = None
    """Bearer token (`agent-memory token add`, or a JWT) sent with every request."""
    max_retries: int = 3
    """How often a 503 answer or a refused connection is retried."""
    backoff_base: float = 0.25
    """First wait in seconds; doubled on each retry, capped by backoff_max."""
    backoff_max: float = 8.0
    headers: dict[str, str] = {}


@dataclass(frozen=True)
class Call:
    """One HTTP request: `route` is the OpenAPI path template, `path` the concrete path."""

    method: str
    route: str
    path: str
    params: Params = field(default_factory=dict)
    json: Any = None
    answers: frozenset[int] = frozenset()
    """Error statuses returned as a Reply instead of raised (404 for get-or-create...)."""


@dataclass(frozen=True)
class Sleep:
    """Wait this many seconds (between batches, while polling a task)."""

    seconds: float


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    text: str


Op = Generator[Call | Sleep, Reply | None, T]


def call(
    method: str,
    route: str,
    params: Mapping[str, ParamValue | None] | None = None,
    json: Any = None,
    answers: frozenset[int] = frozenset(),
    **path_args: str,
) -> Call:
    path = route
    for name, value in path_args.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    given = {k: v for k, v in (params or {}).items() if v is not None}
    return Call(method, route, path, given, json, answers)


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], reply: Reply | None) -> M:
    return model.model_validate(received(reply).body)


def received(reply: Reply | None) -> Reply:
    if reply is None:  # only a Sleep is answered with None
        raise RuntimeError("a Call was answered without a Reply")
    return reply


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        moment = email.utils.parsedate_to_datetime(value)
        return max(0.0, moment.timestamp() - time.time())


def error_for(response: httpx.Response) -> errors.MemoryServerError:
    """The typed error of an error answer, with the server's `detail` as its message."""
    try:
        detail: Any = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    if not isinstance(detail, str):  # FastAPI validation errors: a list of {loc, msg}
        detail = "; ".join(
            f"{'.'.join(str(p) for p in item.get('loc', []))}: {item.get('msg')}"
            if isinstance(item, dict)
            else str(item)
            for item in (detail if isinstance(detail, list) else [detail])
        )
    status = response.status_code
    message = f"{status} {response.request.method} {response.request.url.path}: {detail}"
    if status == 503:
        return errors.UnavailableError(message, status, retry_after(response))
    kind = errors.STATUS_ERRORS.get(status, errors.MemoryServerError)
    return kind(message, status)


def backoff(config: MemoryClientConfig, attempt: int, response: httpx.Response | None) -> float:
    """Seconds to wait before retry number `attempt` (0-based): Retry-After when given."""
    wait = config.backoff_base * (2**attempt)
    if response is not None:
        hinted = retry_after(response)
        if hinted is not None:
            wait = hinted
    return float(min(wait, config.backoff_max))


def build_client_kwargs(config: MemoryClientConfig) -> dict[str, Any]:
    headers = {"User-Agent": f"agent-memory-sdk/{VERSION}", **config.headers}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    return {"base_url": config.base_url, "timeout": config.timeout, "headers": headers}


def to_reply(response: httpx.Response) -> Reply:
    content_type = response.headers.get("content-type", "")
    body = response.json() if content_type.startswith("application/json") else None
    return Reply(response.status_code, body, response.text)
