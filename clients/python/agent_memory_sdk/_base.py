"""The base of the operation mixins: the configuration and its defaults."""

from __future__ import annotations

from agent_memory_sdk._core import MemoryClientConfig


class OpsBase:
    def __init__(self, config: MemoryClientConfig) -> None:
        self.config = config

    def _namespace(self, namespace: str | None) -> str | None:
        return namespace if namespace is not None else self.config.default_namespace

    def _window(
        self, model_name: str | None, context_window_max: int | None
    ) -> dict[str, str | int]:
        params: dict[str, str | int] = {}
        model = model_name or self.config.default_model_name
        window = context_window_max or self.config.default_context_window_max
        if model is not None:
            params["model_name"] = model
        if window is not None:
            params["context_window_max"] = window
        return params
