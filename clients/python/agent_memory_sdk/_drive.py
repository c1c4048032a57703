"""Running operations over httpx: retries on 503 and refused connections, typed errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx

from agent_memory_sdk._core import (
    Call,
    MemoryClientConfig,
    Op,
    Reply,
    Sleep,
    T,
    backoff,
    error_for,
    to_reply,
)
from agent_memory_sdk.exceptions import MemoryConnectionError, MemoryServerError

CallHook = Callable[[Call], None]


def _request(client: httpx.Client | httpx.AsyncClient, c: Call) -> httpx.Request:
    return client.build_request(c.method, c.path, params=c.params or None, json=c.json)


def _outcome(c: Call, response: httpx.Response) -> Reply | MemoryServerError:
    if response.is_success or response.status_code in c.answers:
        return to_reply(response)
    return error_for(response)


def _unreachable(c: Call, error: httpx.TransportError) -> MemoryConnectionError:
    return MemoryConnectionError(f"{c.method} {c.path}: {type(error).__name__}: {error}", None)


async def send_async(
    client: httpx.AsyncClient, config: MemoryClientConfig, c: Call, hook: CallHook | None
) -> Reply:
    if hook is not None:
        hook(c)
    attempt = 0
    while True:
        response: httpx.Response | None = None
        try:
            response = await client.send(_request(client, c))
            outcome: Reply | MemoryServerError = _outcome(c, response)
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            outcome = _unreachable(c, e)
        if isinstance(outcome, Reply):
            return outcome
        if outcome.status_code not in (503, None) or attempt >= config.max_retries:
            raise outcome
        await asyncio.sleep(backoff(config, attempt, response))
        attempt += 1


def send_sync(
    client: httpx.Client, config: MemoryClientConfig, c: Call, hook: CallHook | None
) -> Reply:
    if hook is not None:
        hook(c)
    attempt = 0
    while True:
        response: httpx.Response | None = None
        try:
            response = client.send(_request(client, c))
            outcome: Reply | MemoryServerError = _outcome(c, response)
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            outcome = _unreachable(c, e)
        if isinstance(outcome, Reply):
            return outcome
        if outcome.status_code not in (503, None) or attempt >= config.max_retries:
            raise outcome
        time.sleep(backoff(config, attempt, response))
        attempt += 1


async def run_async(
    client: httpx.AsyncClient, config: MemoryClientConfig, op: Op[T], hook: CallHook | None
) -> T:
    try:
        step = next(op)
        while True:
            if isinstance(step, Sleep):
                await asyncio.sleep(step.seconds)
                step = op.send(None)
            else:
                step = op.send(await send_async(client, config, step, hook))
    except StopIteration as done:
        result: T = done.value
        return result


def run_sync(
    client: httpx.Client, config: MemoryClientConfig, op: Op[T], hook: CallHook | None
) -> T:
    try:
        step = next(op)
        while True:
            if isinstance(step, Sleep):
                time.sleep(step.seconds)
                step = op.send(None)
            else:
                step = op.send(send_sync(client, config, step, hook))
    except StopIteration as done:
        result: T = done.value
        return result
