"""Key building and settings resolution."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from agent_memory_server.config import Settings
from agent_memory_server.storage.keys import Keys


def test_namespace_is_part_of_the_key_and_separators_are_escaped() -> None:
    keys = Keys("ams")
    assert keys.working_memory(None, "s") != keys.working_memory("", "s")
    assert keys.working_memory("a:b", "c") != keys.working_memory("a", "b:c")
    assert keys.working_memory("a", "s").startswith(keys.working_memory_prefix)
    assert keys.summarization_task("a", "s") != keys.summarization_task(None, "s")


def test_llm_provider_auto_resolution() -> None:
    base = {"_env_file": None}
    assert Settings(**base).resolved_llm_provider() == "none"  # type: ignore[arg-type]
    with_openai = Settings(**base, openai_api_key=SecretStr("k"))  # type: ignore[arg-type]
    assert with_openai.resolved_llm_provider() == "openai"
    local = Settings(**base, openai_base_url="http://localhost:11434/v1")  # type: ignore[arg-type]
    assert local.resolved_llm_provider() == "openai"
    claude = Settings(**base, anthropic_api_key=SecretStr("sk-ant-secret"))  # type: ignore[arg-type]
    assert claude.resolved_llm_provider() == "anthropic"
    assert "sk-ant-secret" not in repr(claude)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, key_prefix="has space")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(_env_file=None, summarization_threshold=1.5)  # type: ignore[call-arg]
