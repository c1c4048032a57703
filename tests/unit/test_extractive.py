"""The local extractive summarizer keeps within its budget and keeps the salient facts."""

from __future__ import annotations

from pathlib import Path

from agent_memory_server.providers.extractive import extractive_summary
from agent_memory_server.providers.tokens import Tokenizers


def test_summary_stays_within_budget_and_keeps_facts(tmp_path: Path) -> None:
    count = Tokenizers(tmp_path).for_model(None).count
    lines = ["user: hi there", "assistant: hello! how can I help?"]
    lines += [f"user: ok thanks, sounds good {i}." for i in range(50)]
    lines += ["user: My sister Maria moves to Berlin on 3 March 2025."]
    lines += ["user: I am allergic to peanuts."]
    for budget in (10, 30, 60):
        summary = extractive_summary("The user is called Sam.", lines, budget, count)
        assert 0 < count(summary) <= budget
    summary = extractive_summary("The user is called Sam.", lines, 60, count)
    assert "Maria" in summary and "Berlin" in summary
    assert "peanuts" in summary


def test_long_single_sentence_is_cut_to_budget(tmp_path: Path) -> None:
    count = Tokenizers(tmp_path).for_model(None).count
    summary = extractive_summary(None, ["word " * 500], 20, count)
    assert 0 < count(summary) <= 20
    assert extractive_summary(None, [], 20, count) == ""
