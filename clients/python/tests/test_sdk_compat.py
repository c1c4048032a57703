"""A script written for agent-memory-client 0.14 runs on agent_memory_sdk with only its imports
changed, and sees what it saw with 0.14, against the same real server."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

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
