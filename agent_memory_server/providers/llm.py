"""Chat LLM providers behind one small interface: OpenAI, OpenAI-compatible servers, Anthropic."""

from __future__ import annotations

import time
from typing import Protocol

from agent_memory_server.config import Settings
from agent_memory_server.errors import BackendUnavailable, ConfigurationError
from agent_memory_server.metrics import Metrics


class ChatModel(Protocol):
    """A chat model that turns a system and a user prompt into text."""

    name: str

    async def complete(self, system: str, prompt: str, max_tokens: int) -> str: ...

    async def close(self) -> None: ...


class OpenAIChat:
    """OpenAI, or any server speaking its chat-completions API (Ollama, vLLM, LM Studio)."""

    def __init__(
        self, model: str, api_key: str | None, base_url: str | None, timeout: float,
        metrics: Metrics | None = None,
    ) -> None:  # fmt: skip
        self.name = model
        self._metrics = metrics
        # httpx first, fully: the SDK peeks at sys.modules["httpx"] on its request path, and the
        # MCP app, built in a thread once the API listens, imports httpx; a request served
        # meanwhile met it half initialised (a 500: "partially initialized module 'httpx'").
        import httpx  # noqa: F401, PLC0415
        import openai  # noqa: PLC0415 - the SDKs cost seconds of start-up: only when configured

        self._error = openai.OpenAIError
        # Local OpenAI-compatible servers accept any key; the SDK insists on one.
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "not-needed", base_url=base_url, timeout=timeout, max_retries=0
        )

    async def complete(self, system: str, prompt: str, max_tokens: int) -> str:
        start = time.perf_counter()
        try:
            response = await self._client.chat.completions.create(
                model=self.name,
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": prompt},
                ],
                max_tokens=max_tokens,
                temperature=0,
            )
        except self._error as e:
            _observe(self._metrics, "openai", self.name, "error", start)
            raise BackendUnavailable(f"LLM call to {self.name} failed: {e}") from e
        usage = response.usage
        _observe(
            self._metrics, "openai", self.name, "ok", start,
            usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0,
        )  # fmt: skip
        content = response.choices[0].message.content if response.choices else None
        if not content:
            raise BackendUnavailable(f"LLM {self.name} returned no text")
        return content.strip()

    async def close(self) -> None:
        await self._client.close()


class AnthropicChat:
    """Anthropic's Messages API."""

    def __init__(
        self, model: str, api_key: str | None, base_url: str | None, timeout: float,
        metrics: Metrics | None = None,
    ) -> None:  # fmt: skip
        self.name = model
        self._metrics = metrics
        import anthropic  # noqa: PLC0415 - see OpenAIChat

        self._error = anthropic.AnthropicError
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
        )

    async def complete(self, system: str, prompt: str, max_tokens: int) -> str:
        start = time.perf_counter()
        try:
            response = await self._client.messages.create(
                model=self.name,
                system=system,
                messages=[{"role": "user", "content": prompt}],
                max_tokens=max_tokens,
            )
        except self._error as e:
            _observe(self._metrics, "anthropic", self.name, "error", start)
            raise BackendUnavailable(f"LLM call to {self.name} failed: {e}") from e
        _observe(
            self._metrics, "anthropic", self.name, "ok", start,
            response.usage.input_tokens, response.usage.output_tokens,
        )  # fmt: skip
        text = "".join(block.text for block in response.content if block.type == "text")
        if not text:
            raise BackendUnavailable(f"LLM {self.name} returned no text")
        return text.strip()

    async def close(self) -> None:
        await self._client.close()


def _observe(
    metrics: Metrics | None, provider: str, model: str, outcome: str, start: float,
    prompt_tokens: int = 0, completion_tokens: int = 0,
) -> None:  # fmt: skip
    if metrics is not None:
        metrics.observe_llm(
            provider, model, outcome, time.perf_counter() - start, prompt_tokens,
            completion_tokens,
        )  # fmt: skip


def create_chat_model(settings: Settings, metrics: Metrics | None = None) -> ChatModel | None:
    """The configured chat model, or None when the server runs without an LLM.

    Args:
        metrics: where each call's latency and token usage are counted (None: nowhere).
    """
    provider = settings.resolved_llm_provider()
    if provider == "openai":
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        if key is None and settings.openai_base_url is None:
            raise ConfigurationError("LLM_PROVIDER=openai needs OPENAI_API_KEY or OPENAI_BASE_URL")
        return OpenAIChat(
            settings.generation_model, key, settings.openai_base_url,
            settings.llm_timeout_seconds, metrics,
        )  # fmt: skip
    if provider == "anthropic":
        if settings.anthropic_api_key is None:
            raise ConfigurationError("LLM_PROVIDER=anthropic needs ANTHROPIC_API_KEY")
        return AnthropicChat(
            settings.generation_model,
            settings.anthropic_api_key.get_secret_value(),
            settings.anthropic_base_url,
            settings.llm_timeout_seconds,
            metrics,
        )
    return None
