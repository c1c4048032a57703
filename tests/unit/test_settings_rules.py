"""Rules across settings (config.py validators): a combination that cannot work is refused
when the settings are read, with a message naming the settings to change."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import SecretStr

from agent_memory_server.cli.common import read_settings
from agent_memory_server.config import Settings
from agent_memory_server.errors import ConfigurationError
from agent_memory_server.tasks.upkeep_tasks import periodic_forget_policy


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


@pytest.mark.parametrize("field", ["entity_extraction", "topic_extraction"])
def test_llm_extraction_needs_an_llm(field: str) -> None:
    with pytest.raises(ConfigurationError, match=r"TOPIC_EXTRACTION=llm needs an LLM \(set LLM"):
        settings(**{field: "llm"})
    with_llm = settings(**{field: "llm"}, openai_base_url="http://localhost:9/v1")
    assert getattr(with_llm, field) == "llm"


def test_a_named_llm_provider_needs_its_credentials() -> None:
    with pytest.raises(ConfigurationError, match="LLM_PROVIDER=openai needs OPENAI_API_KEY"):
        settings(llm_provider="openai")
    with pytest.raises(ConfigurationError, match="LLM_PROVIDER=anthropic needs ANTHROPIC_API_KEY"):
        settings(llm_provider="anthropic")
    assert settings(llm_provider="openai", openai_api_key=SecretStr("k")).llm_provider == "openai"
    claude = settings(llm_provider="anthropic", anthropic_api_key=SecretStr("k"))
    assert claude.resolved_llm_provider() == "anthropic"


def test_jwt_auth_needs_the_issuers_keys() -> None:
    with pytest.raises(ConfigurationError, match="AUTH_MODE=jwt needs AUTH_JWKS_URL"):
        settings(auth_mode="jwt")
    assert settings(auth_mode="jwt", auth_jwks_url="http://x/jwks").auth_mode == "jwt"


def test_forgetting_without_a_rule_is_said_once_and_forgets_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="agent_memory_server.config"):
        ruleless = settings(forgetting_enabled=True)
    assert ["FORGETTING_ENABLED is set" in r.getMessage() for r in caplog.records] == [True]
    assert ruleless.forgetting_rules() is None
    assert periodic_forget_policy(ruleless) is None
    budget = settings(forgetting_enabled=True, forgetting_budget=3)
    policy = periodic_forget_policy(budget)
    assert policy is not None and policy.budget == 3 and policy.max_age_days is None
    assert periodic_forget_policy(settings(forgetting_budget=3)) is None  # not enabled


def test_the_cli_says_which_setting_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("KEY_PREFIX", "has space")
    with pytest.raises(typer.Exit) as refused:
        read_settings()
    assert refused.value.exit_code == 1
    assert capsys.readouterr().err.startswith("error: invalid settings: KEY_PREFIX: ")
    monkeypatch.delenv("KEY_PREFIX")
    monkeypatch.setenv("TOPIC_EXTRACTION", "llm")
    with pytest.raises(typer.Exit):
        read_settings()
    assert "TOPIC_EXTRACTION=llm needs an LLM" in capsys.readouterr().err
