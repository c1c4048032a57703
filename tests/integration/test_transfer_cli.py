"""`agent-memory export` and `agent-memory import` (the command, run in the test process), and
their refusals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from agent_memory_server.config import Settings
from agent_memory_server.resources import open_resources
from agent_memory_server.services.long_term import content_hash, create_memories
from agent_memory_server.services.transfer import to_line
from tests.support.cli import invoke
from tests.support.processes import process_env
from tests.support.transfer_data import sample_records


def _env(settings: Settings, data_dir: Path) -> dict[str, str]:
    return process_env(settings, data_dir, ENTITY_EXTRACTION="none")


async def test_export_to_stdout_then_import_a_file(
    make_settings: Callable[..., Settings], shared_data_dir: Path, tmp_path: Path
) -> None:
    source = make_settings(entity_extraction="none")
    target = make_settings(entity_extraction="none")
    async with open_resources(source) as resources:
        await create_memories(resources, sample_records(), deduplicate=False)
        originals = await resources.long_term.get_many(["m00", "m01", "m02", "m03", "m08"])

    exported = await asyncio.to_thread(
        invoke, _env(source, shared_data_dir), "export", "--namespace", "app"
    )
    assert exported.exit_code == 0, exported.stderr
    out, err = exported.stdout_bytes, exported.stderr
    lines = out.decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [f"m{i:02d}" for i in range(8)]
    assert "exporting" in err and "exported 8 memories" in err  # progress and totals: stderr
    path = tmp_path / "app.jsonl"
    path.write_bytes(out)

    imported = await asyncio.to_thread(invoke, _env(target, shared_data_dir), "import", str(path))
    assert imported.exit_code == 0, imported.stderr
    assert "imported 8 memories (embedded with local:all-MiniLM-L6-v2)" in imported.stdout
    assert "importing" in imported.stderr
    async with open_resources(target) as resources:
        copies = await resources.long_term.get_many(["m00", "m01", "m02", "m03", "m08"])
    assert copies[4] is None  # namespace "other" was not exported
    assert [r.model_dump() for r in copies[:4] if r] == [r.model_dump() for r in originals[:4] if r]


def test_cli_refuses_a_bad_file_naming_the_line_and_reads_stdin(
    make_settings: Callable[..., Settings], shared_data_dir: Path, tmp_path: Path
) -> None:
    settings = make_settings(entity_extraction="none")
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "fine"}\n{"id": "b"}\n', encoding="utf-8")
    env = _env(settings, shared_data_dir)
    result = invoke(env, "import", str(path))
    assert result.exit_code == 1
    assert "1 bad line(s), nothing was imported" in result.stderr
    assert "line 2: text: Field required" in result.stderr
    missing = invoke(env, "import", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 1 and "Cannot read" in missing.stderr

    output = tmp_path / "empty.jsonl"
    exported = invoke(env, "export", "--output", str(output))
    assert exported.exit_code == 0, exported.stderr
    assert "exported 0 memories" in exported.stderr and output.read_bytes() == b""

    record = sample_records()[0]
    record.memory_hash = content_hash(record.text)  # derived from the text, so recomputed
    line = to_line(record).encode() + b"\n"
    piped = invoke(env, "import", "-", input=line)
    assert piped.exit_code == 0, piped.stderr
    assert "imported 1 memories" in piped.stdout
    exported = invoke(env, "export", "--output", str(output))
    assert exported.exit_code == 0 and output.read_bytes() == line
