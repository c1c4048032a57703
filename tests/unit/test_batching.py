"""Concurrent embedding calls coalesced into one batch (providers/batching.py), on the real model.

A gate in front of the real MiniLM model holds the first batch until the test has made its
other calls, so which calls share a batch does not depend on timing.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import numpy as np
import pytest

from agent_memory_server.providers.batching import Coalescer, Vectors
from agent_memory_server.providers.minilm_onnx import MiniLMEmbedder

TEXTS = [
    "Alice moved to Paris in 2021.",
    "Bob plays the cello every Sunday, usually in the morning before the market opens.",
    "peanuts",
    "The quarterly report is due on Friday; the figures come from the finance team.",
]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> MiniLMEmbedder:
    return MiniLMEmbedder(cache_dir=tmp_path_factory.mktemp("minilm-cache"))


class Gate:
    """The model's embedding, each batch recorded, the first held until `open()`."""

    def __init__(self, embed: Callable[[list[str]], Vectors]) -> None:
        self.embed = embed
        self.batches: list[list[str]] = []
        self.entered = threading.Event()
        self._open = threading.Event()

    def __call__(self, texts: list[str]) -> Vectors:
        self.batches.append(texts)
        self.entered.set()
        self._open.wait(timeout=30)
        return self.embed(texts)

    def open(self) -> None:
        self._open.set()


async def _held(coalescer: Coalescer, gate: Gate) -> asyncio.Task[Vectors]:
    """A call whose batch is under way (held at the gate)."""
    first = asyncio.ensure_future(coalescer.embed(["the first call"]))
    assert await asyncio.to_thread(gate.entered.wait, 30)
    return first


def _rows_alone(model: MiniLMEmbedder, texts: list[str]) -> Vectors:
    return np.stack([model.embed_sync([t])[0] for t in texts])


async def test_calls_made_during_a_batch_go_together_and_each_gets_its_own_rows(
    model: MiniLMEmbedder,
) -> None:
    gate = Gate(model.embed_sync)
    coalescer = Coalescer(gate, max_batch=32)
    first = await _held(coalescer, gate)
    calls = [TEXTS[:1], TEXTS[1:3], [], TEXTS[3:]]
    pending = [asyncio.ensure_future(coalescer.embed(texts)) for texts in calls]
    await asyncio.sleep(0.05)
    gate.open()
    results = await asyncio.gather(first, *pending)
    assert gate.batches == [["the first call"], TEXTS]  # the four calls: one batch
    assert [r.shape for r in results[1:]] == [(1, 384), (2, 384), (0, 384), (1, 384)]
    # each caller's rows are its own texts' rows, as if embedded alone (padding is inert)
    got = np.concatenate(results[1:])
    assert np.abs(got - _rows_alone(model, TEXTS)).max() < 1e-5
    assert coalescer.stats.batches == 2 and coalescer.stats.largest == 4


async def test_a_lone_call_runs_at_once_in_a_batch_of_its_own(model: MiniLMEmbedder) -> None:
    gate = Gate(model.embed_sync)
    gate.open()
    coalescer = Coalescer(gate, max_batch=32)
    for text in TEXTS[:2]:
        rows = await coalescer.embed([text])
        assert np.abs(rows - model.embed_sync([text])).max() < 1e-5
    assert gate.batches == [TEXTS[:1], TEXTS[1:2]]


async def test_a_batch_holds_at_most_max_batch_texts(model: MiniLMEmbedder) -> None:
    gate = Gate(model.embed_sync)
    coalescer = Coalescer(gate, max_batch=3)
    first = await _held(coalescer, gate)
    calls = [TEXTS[:2], TEXTS[2:3], TEXTS[3:], TEXTS * 2]
    pending = [asyncio.ensure_future(coalescer.embed(texts)) for texts in calls]
    await asyncio.sleep(0.05)
    gate.open()
    results = await asyncio.gather(first, *pending)
    # in order, up to 3 texts a batch; a call larger than that goes alone, whole
    assert gate.batches == [["the first call"], TEXTS[:3], TEXTS[3:], TEXTS * 2]
    for texts, rows in zip(calls, results[1:], strict=True):
        assert np.abs(rows - _rows_alone(model, texts)).max() < 1e-5


async def test_an_error_in_a_batch_reaches_each_of_its_callers() -> None:
    failing = True

    def embed(texts: list[str]) -> Vectors:
        if failing and "bad input" in texts:
            raise ValueError("the model rejected the batch")
        return np.ones((len(texts), 4), dtype=np.float32)

    gate = Gate(embed)
    coalescer = Coalescer(gate, max_batch=32)
    first = await _held(coalescer, gate)
    pending = [asyncio.ensure_future(coalescer.embed([t])) for t in ("ok", "bad input", "fine")]
    await asyncio.sleep(0.05)
    gate.open()
    assert (await first).shape == (1, 4)
    for call in pending:
        with pytest.raises(ValueError, match="the model rejected the batch"):
            await call
    # the coalescer goes on: the next call gets its rows
    failing = False
    assert (await coalescer.embed(["later"])).shape == (1, 4)


async def test_a_cancelled_caller_leaves_the_others_their_rows(model: MiniLMEmbedder) -> None:
    gate = Gate(model.embed_sync)
    coalescer = Coalescer(gate, max_batch=32)
    first = await _held(coalescer, gate)
    waiting = [asyncio.ensure_future(coalescer.embed([t])) for t in TEXTS]
    await asyncio.sleep(0.05)
    waiting[1].cancel()  # cancelled before its batch starts: left out of it
    first.cancel()  # cancelled while its batch runs: its rows are dropped
    gate.open()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert isinstance(results[1], asyncio.CancelledError)
    assert gate.batches[1] == [TEXTS[0], *TEXTS[2:]]
    kept = [TEXTS[0], *TEXTS[2:]]
    rows = np.concatenate([r for r in results if isinstance(r, np.ndarray)])
    assert np.abs(rows - _rows_alone(model, kept)).max() < 1e-5
    with pytest.raises(asyncio.CancelledError):
        await first


def test_callers_on_different_event_loops_share_a_coalescer(model: MiniLMEmbedder) -> None:
    coalescer = Coalescer(model.embed_sync, max_batch=32)
    results: dict[int, Vectors] = {}

    def run(i: int) -> None:
        results[i] = asyncio.run(coalescer.embed([TEXTS[i]]))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(TEXTS))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    got = np.concatenate([results[i] for i in range(len(TEXTS))])
    assert np.abs(got - _rows_alone(model, TEXTS)).max() < 1e-5


def test_a_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        Coalescer(lambda texts: np.zeros((len(texts), 1), np.float32), max_batch=0)
