"""What lazy loading must not break: a command imports only what it needs, and the models load
in the background after the server listens, with requests that arrive before then waiting for
them. (How fast the processes start is measured in benchmarks/cold_start.py, not here.)"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable

import httpx

from tests.conftest import ROOT

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
