"""Token counting offline and the model window table."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_memory_server.errors import InvalidRequest
from agent_memory_server.providers.token_counts import (
    TiktokenCounter,
    Tokenizers,
    context_window,
    encoding_for,
)


def test_tiktoken_loads_offline_from_bundled_files(tmp_path: Path) -> None:
    tokenizers = Tokenizers(tmp_path)
    assert tokenizers.for_model("gpt-4").encoding.encode("hello world") == [15339, 1917]
    assert tokenizers.for_model("gpt-4o").encoding.encode("hello world") == [24912, 2375]
    assert tokenizers.for_model(None).count("hello world") == 2
    assert tokenizers.for_model(None).count_message("user", "hello world") == 4 + 1 + 2


def test_context_windows_by_name_and_explicit() -> None:
    assert context_window("gpt-4o-mini", None) == 128_000
    assert context_window("gpt-4o-2024-08-06", None) == 128_000
    assert context_window("gpt-4", None) == 8_192
    assert context_window("claude-3-5-sonnet-20241022", None) == 200_000
    assert context_window("claude-sonnet-4-20250514", None) == 200_000
    assert context_window("gpt-4o", 5000) == 5000
    assert context_window(None, None) is None
    with pytest.raises(InvalidRequest, match="Unknown model_name 'llama-3'"):
        context_window("llama-3", None)


def test_encoding_per_family() -> None:
    assert encoding_for("gpt-4o-mini") == "o200k_base"
    assert encoding_for("o3-mini") == "o200k_base"
    assert encoding_for("gpt-3.5-turbo") == "cl100k_base"
    assert encoding_for("claude-3-haiku-20240307") == "cl100k_base"


def test_remembered_counts_are_the_encodings_counts(tmp_path: Path) -> None:
    """Counts served from the cache equal a fresh encoding, also after it fills and restarts."""
    Tokenizers(tmp_path)  # seeds the offline encoding files
    counter = TiktokenCounter("o200k_base", cache_entries=8)
    texts = [f"Message {i}: " + "the quick brown fox jumps over the lazy dog " * (i % 5 + 1)
             for i in range(20)] + ["short", "", "ünïcödé " * 20]  # fmt: skip
    for _ in range(3):  # first pass fills (and overflows) the cache; later passes read it
        for text in texts:
            assert counter.count(text) == len(counter.encoding.encode_ordinary(text))
    assert 0 < len(counter._counted) <= 8
