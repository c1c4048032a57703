"""A script written for agent-memory-client 0.14 runs on agent_memory_sdk with only its imports
changed, and sees what it saw with 0.14, against the same real server."""

from __future__ import annotations

import inspect
import re
import uuid
from pathlib import Path
from typing import Any

from agent_memory_client import MemoryAPIClient as OldClient

from agent_memory_sdk import MemoryAPIClient

SCRIPT = Path(__file__).parent / "compat" / "script_0_14.py"
IMPORT = re.compile(r"^(from|import) agent_memory_client\b")


def switched(source: str) -> str:
    """The script with `agent_memory_client` replaced in its import lines, and nowhere else."""
    return "\n".join(
        line.replace("agent_memory_client", "agent_memory_sdk", 1) if IMPORT.match(line) else line
        for line in source.splitlines()
    )


async def _run(source: str, url: str) -> dict[str, Any]:
    scope: dict[str, Any] = {"__name__": "compat_script"}
    exec(compile(source, str(SCRIPT), "exec"), scope)
    seen: dict[str, Any] = await scope["main"](url, f"compat-{uuid.uuid4().hex[:8]}")
    return seen


async def test_the_0_14_script_runs_on_the_sdk_with_only_its_imports_changed(
    memory_server: str,
) -> None:
    original = SCRIPT.read_text()
    ours = switched(original)
    changed = [
        (a, b) for a, b in zip(original.splitlines(), ours.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 4 and all(IMPORT.match(a) for a, _ in changed)
    assert "agent_memory_client" not in ours.split('"""', 2)[2]

    with_0_14 = await _run(original, memory_server)
    with_sdk = await _run(ours, memory_server)
    assert with_sdk == with_0_14
    assert with_sdk["messages"] == [
        ("user", "I want three days in Oslo in May."), ("assistant", "Three days in Oslo, noted."),
    ]  # fmt: skip
    assert with_sdk["data"] == {"plan": {"city": "Oslo", "days": 3}}
    assert with_sdk["found"][0] == "Dana is vegetarian." and with_sdk["edited"] == "Dana is vegan."
    assert with_sdk["prompt"][-1] == ("user", "Where should Dana eat in Oslo?")
    assert ("system", "- Dana is vegan.") in with_sdk["prompt"]
    assert with_sdk["deleted"] and with_sdk["sessions_after"] == []


# 0.14 methods that are not kept (README: "What differs"): its tool-calling helpers, which
# agent_memory_sdk.tools replaces, and its client-side validators (the server validates).
NOT_KEPT = {
    "search_memory_tool", "get_working_memory_tool", "get_or_create_working_memory_tool",
    "add_memory_tool", "update_memory_data_tool", "resolve_tool_call", "resolve_tool_calls",
    "resolve_function_call", "resolve_function_calls", "parse_openai_function_call",
    "parse_openai_tool_call", "parse_anthropic_tool_use", "parse_tool_call",
    "validate_memory_record", "validate_search_filters",
}  # fmt: skip


def test_every_kept_method_takes_the_arguments_of_0_14() -> None:
    """Same names, in the same order, with the same defaults; new arguments come after, optional."""
    helpers = ("_schema", "_schemas", "_anthropic")
    public = {
        name for name, member in vars(OldClient).items()
        if inspect.isfunction(member) and not name.startswith("_") and not name.endswith(helpers)
    }  # fmt: skip
    kept = sorted(public - NOT_KEPT)
    assert len(kept) == 30  # every data operation of 0.14
    assert [name for name in kept if not hasattr(MemoryAPIClient, name)] == []
    for name in kept:
        old = list(inspect.signature(getattr(OldClient, name)).parameters.values())
        new = list(inspect.signature(getattr(MemoryAPIClient, name)).parameters.values())
        assert [p.name for p in new[: len(old)]] == [p.name for p in old], name
        for was, now in zip(old, new, strict=False):
            if was.default is not inspect.Parameter.empty:
                assert now.default == was.default, (name, was.name)
        assert all(p.default is not inspect.Parameter.empty for p in new[len(old) :]), name
