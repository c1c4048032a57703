"""What lazy loading must not break: a command imports only what it needs, and the models load
in the background after the server listens, with requests that arrive before then waiting for
them; the stdio server's front answers the handshake while the server starts, and the calls
sent meanwhile are served once it has. (How fast the processes start is measured in
benchmarks/cold_start.py, not here.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.conftest import ROOT
from tests.support.hermetic import CHILD_CWD

HEAVY = ("fastapi", "fastmcp", "mcp", "docket", "redis", "anthropic", "openai", "onnxruntime",
         "spacy", "uvicorn")  # fmt: skip


def _imported_after(code: str) -> set[str]:
    """The top-level packages of HEAVY that a fresh interpreter has imported after `code`."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\n")[-2]
    return set(out.split()) & set(HEAVY)


def test_version_and_help_import_no_server_stack() -> None:
    run = (
        "from agent_memory_server.cli import app\ntry:\n    app([{}])\nexcept SystemExit:\n    pass"
    )
    assert _imported_after(run.format("'version'")) == set()
    assert _imported_after(run.format("'--help'")) == set()


def test_the_server_imports_no_llm_sdk_or_model_runtime_until_asked() -> None:
    loaded = _imported_after(
        "from agent_memory_server.app import create_app\n"
        "from agent_memory_server.config import Settings\n"
        "create_app(Settings(llm_provider='none'))"
    )
    assert not loaded & {"anthropic", "openai", "onnxruntime", "spacy"}
    # the MCP endpoint is imported and built after the API listens (mcp/deferred.py)
    assert not loaded & {"fastmcp", "mcp"}


def test_requests_right_after_start_wait_for_the_models(
    server_process: Callable[..., str],
) -> None:
    # default settings: local embedder, spaCy entities, embedded worker; nothing warmed yet
    url = server_process("api")
    text = f"The lighthouse keeper {uuid.uuid4().hex[:6]} paints watercolours of storms"
    with httpx.Client(base_url=url, timeout=120) as http:
        first = http.post(
            "/v1/long-term-memory/search", json={"text": "storm paintings", "limit": 5}
        )
        assert first.status_code == 200, first.text
        created = http.post(
            "/v1/long-term-memory/",
            json={"memories": [{"text": text, "namespace": "cold"}], "deduplicate": False},
        )
        assert created.status_code == 200, created.text
        found = http.post(
            "/v1/long-term-memory/search",
            json={"text": "who paints storms?", "namespace": {"eq": "cold"},
                  "search_mode": "semantic", "limit": 3},
        )  # fmt: skip
        assert found.status_code == 200, found.text
        assert [m["text"] for m in found.json()["memories"]][:1] == [text]


async def test_stdio_client_lists_tools_and_is_served_while_the_server_starts(
    redis_url: str, shared_data_dir: Path, tmp_path: Path
) -> None:
    """The MCP SDK's stdio client against a freshly spawned server (local embedder, spaCy):
    initialize and tools/list, then a write and a search sent at once, before the server
    behind the front has started; every answer is the real one."""
    env = {
        "REDIS_URL": redis_url, "DATA_DIR": str(shared_data_dir), "LLM_PROVIDER": "none",
        "KEY_PREFIX": f"s{uuid.uuid4().hex[:10]}", "LOG_LEVEL": "WARNING",
        "PATH": os.environ["PATH"],
    }  # fmt: skip
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "agent_memory_server", "mcp", "--mode", "stdio"],
        env=env, cwd=CHILD_CWD,
    )  # fmt: skip
    text = f"The beekeeper {uuid.uuid4().hex[:6]} sells heather honey at the Saturday market"
    with (tmp_path / "stderr.log").open("w") as errlog:
        async with (
            stdio_client(server, errlog=errlog) as (read, write),
            ClientSession(read, write, read_timeout_seconds=180) as session,
        ):
            init = await session.initialize()
            assert init.server_info.name == "agent-memory"
            listed = await session.list_tools()
            names = {tool.name for tool in listed.tools}
            assert {"create_long_term_memories", "search_long_term_memory",
                    "get_working_memory", "memory_prompt"} <= names  # fmt: skip
            created = await session.call_tool(
                "create_long_term_memories",
                {"memories": [{"text": text, "namespace": "bees"}], "deduplicate": False},
            )
            assert not created.is_error, created
            found = await session.call_tool(
                "search_long_term_memory",
                {"text": "who sells honey?", "namespace": {"eq": "bees"}, "limit": 3},
            )
            assert not found.is_error, found
            payload = json.loads(found.content[0].text)  # type: ignore[union-attr]
            assert [m["text"] for m in payload["memories"]][:1] == [text]
