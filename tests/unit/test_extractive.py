"""The local extractive summarizer keeps within its budget and keeps the salient facts."""

from __future__ import annotations

from pathlib import Path

from agent_memory_server.providers.extractive import MAX_UNITS, extractive_summary
from agent_memory_server.providers.token_counts import Tokenizers


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


def test_a_fold_of_many_messages_considers_the_newest(tmp_path: Path) -> None:
    """Selection is quadratic: only the newest MAX_UNITS sentences (and the summary) count.

    Ten thousand content-free lines (found by `make api-fuzz`: they used to block the server
    for minutes) give nothing to keep; among many distinct facts the old ones are not read.
    """
    count = Tokenizers(tmp_path).for_model(None).count
    assert extractive_summary(None, ["0: "] * 10_000, 100, count) == "0:"
    lines = [f"user: Planet{i} orbits star{i}." for i in range(MAX_UNITS + 500)]
    summary = extractive_summary("Sam likes astronomy.", lines, 200, count)
    assert "Sam likes astronomy." in summary  # the previous summary always competes
    kept = [int(word[6:]) for word in summary.split() if word.startswith("Planet")]
    assert kept and min(kept) >= 500  # the 500 oldest facts were not considered
