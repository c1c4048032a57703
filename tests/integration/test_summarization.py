"""A conversation far past the window is folded into a summary by a real Docket worker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from agent_memory_server.config import Settings
from agent_memory_server.tasks.worker import drain
from tests.conftest import AppClient
from tests.support.llm_stub import LLMStub

WINDOW = 1000
THRESHOLD = 700  # 70 % of the window


def _conversation(turns: int) -> list[dict[str, str]]:
    messages = []
    for i in range(turns):
        messages.append(
            {
                "role": "user",
                "content": f"Turn {i}: my cat Tom is {i} years old and likes tuna from Lisbon.",
            }
        )
        messages.append({"role": "assistant", "content": f"Noted, turn {i}: Tom, {i} years, tuna."})
    return messages


async def _put_far_past_window(app: AppClient) -> dict[str, Any]:
    messages = _conversation(100)  # about 4,000 tokens: four windows
    put = await app.http.put(
        "/v1/working-memory/long",
        json={"messages": messages},
        params={"context_window_max": WINDOW},
    )
    assert put.status_code == 200
    body = put.json()
    assert body["tokens"] > 3 * WINDOW
    assert len(body["messages"]) == 200  # the write did not wait for a summary
    assert body["context_percentage_until_summarization"] == 100
    return body


async def _assert_folded(app: AppClient) -> dict[str, Any]:
    got = (
        await app.http.get("/v1/working-memory/long", params={"context_window_max": WINDOW})
    ).json()
    counter = app.resources.tokenizers.for_model(None)
    summary_tokens = counter.count(got["context"])
    message_tokens = sum(counter.count_message(m["role"], m["content"]) for m in got["messages"])
    assert got["context"]
    assert 0 < summary_tokens <= 512
    assert summary_tokens + message_tokens <= THRESHOLD
    assert got["tokens"] == summary_tokens + message_tokens
    assert got["context_percentage_until_summarization"] <= 100
    # the newest messages are the ones kept, in order, ending with the last turn
    assert got["messages"][-1]["content"] == "Noted, turn 99: Tom, 99 years, tuna."
    kept = [m["content"] for m in got["messages"]]
    expected_tail = [m["content"] for m in _conversation(100)][-len(kept) :]
    assert kept == expected_tail
    return got


async def test_extractive_summary_without_llm(app: AppClient) -> None:
    await _put_far_past_window(app)
    await drain(app.resources)
    got = await _assert_folded(app)
    assert "Tom" in got["context"]


async def test_llm_summary_with_stub(
    make_settings: Callable[..., Settings], start_app: Any, llm_stub: LLMStub
) -> None:
    llm_stub.state.reply = "Tom the cat likes tuna; the user lives near Lisbon."
    settings = make_settings(
        llm_provider="openai", openai_base_url=llm_stub.base_url, extraction=False
    )
    async with start_app(settings) as app:
        await _put_far_past_window(app)
        await drain(app.resources)
        got = await _assert_folded(app)
        assert got["context"] == "Tom the cat likes tuna; the user lives near Lisbon."
        requests = llm_stub.chat_requests()
        assert requests, "the LLM was not called"
        prompt = requests[0]["body"]["messages"][-1]["content"]
        assert "Turn 0: my cat Tom" in prompt


async def test_llm_failures_are_retried_and_change_nothing_until_success(
    make_settings: Callable[..., Settings], start_app: Any, llm_stub: LLMStub
) -> None:
    llm_stub.state.fail_next = 2
    llm_stub.state.reply = "summary after retries"
    settings = make_settings(
        llm_provider="openai", openai_base_url=llm_stub.base_url, extraction=False
    )
    async with start_app(settings) as app:
        await _put_far_past_window(app)
        await drain(app.resources)
        got = await _assert_folded(app)
        assert got["context"] == "summary after retries"
        assert len(llm_stub.chat_requests()) >= 3


async def test_embedded_worker_summarizes_without_being_asked(
    make_settings: Callable[..., Settings], start_app: Any
) -> None:
    async with start_app(make_settings(embedded_worker=True)) as app:
        await _put_far_past_window(app)
        for _ in range(100):
            got = (await app.http.get("/v1/working-memory/long")).json()
            if got["context"]:
                break
            await asyncio.sleep(0.1)
        await _assert_folded(app)


async def test_fold_does_not_apply_over_a_concurrent_write(app: AppClient) -> None:
    """The summarizer's write is guarded: state it did not read is never overwritten."""
    await _put_far_past_window(app)
    ref = app.resources.working.ref(None, "long")
    before = await app.resources.working.get(ref)
    assert before is not None
    first, last = before["messages"][0]["id"], before["messages"][9]["id"]

    # a full replace lands between the summarizer's read and its write
    await app.http.put(
        "/v1/working-memory/long", json={"messages": [{"role": "user", "content": "new"}]}
    )
    landed = await app.resources.working.fold(ref, first, last, 10, None, "stale summary", -100)
    assert landed is False
    after = (await app.http.get("/v1/working-memory/long")).json()
    assert [m["content"] for m in after["messages"]] == ["new"]
    assert after["context"] is None

    # an append after the read does not block the fold, and survives it
    await app.http.put("/v1/working-memory/long", json={"messages": _conversation(5)})
    doc = await app.resources.working.get(ref)
    assert doc is not None
    ids = [m["id"] for m in doc["messages"]]
    await app.http.post(
        "/sessions/long/memory", json={"messages": [{"role": "user", "content": "late"}]}
    )
    assert await app.resources.working.fold(ref, ids[0], ids[3], 4, None, "early turns", 0)
    after = (await app.http.get("/v1/working-memory/long")).json()
    assert after["context"] == "early turns"
    assert [m["id"] for m in after["messages"]][:-1] == ids[4:]
    assert after["messages"][-1]["content"] == "late"

    # folding every message leaves an empty list, not a broken document
    doc = await app.resources.working.get(ref)
    assert doc is not None
    ids = [m["id"] for m in doc["messages"]]
    assert await app.resources.working.fold(ref, ids[0], ids[-1], len(ids), "early turns", "all", 0)
    assert (await app.http.get("/v1/working-memory/long")).json()["messages"] == []
