"""The server's settings, first part: where it stores, how it serves, who may call it, the
MCP door and its background tasks. `config.Settings` adds the models, search and pipeline
settings; it is the class the doors build. Split only to keep each module small: fields keep
their order (these first) in docs/reference/configuration.md, whose sections are the
`# --- Section ---` comments of both files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent_memory_server.models.common import Identifier


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "agent-memory-server"


class ServiceSettings(BaseSettings):
    """Storage, API, limits, auth, privacy, MCP and task settings (see config.Settings)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # --- Redis -----------------------------------------------------------------------------
    redis_url: str | None = Field(
        default=None,
        description=(
            "Redis 8 / Redis Stack URL (redis://, rediss://; redis+cluster:// or "
            "rediss+cluster:// for a Redis Cluster). Unset: start the embedded Redis server."
        ),
    )
    working_memory_redis_url: str | None = Field(
        default=None,
        description="Redis of working memory (sessions), single node or cluster; default "
        "REDIS_URL.",
    )
    long_term_redis_url: str | None = Field(
        default=None,
        description="Redis of long-term memory and its index, single node or cluster; default "
        "REDIS_URL.",
    )
    task_queue_redis_url: str | None = Field(
        default=None,
        description="Redis of the Docket task queue, single node or cluster; default REDIS_URL.",
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Directory of the embedded Redis server's data (AOF) and lock files.",
    )
    embedded_redis_port: int = Field(
        default=0, ge=0, le=65535, description="Port of the embedded Redis; 0 picks a free one."
    )
    embedded_redis_appendfsync: Literal["always", "everysec", "no"] = "everysec"
    key_prefix: str = Field(
        default="ams",
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Prefix of every Redis key and index name this server writes.",
    )

    # --- API -------------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text: one readable line per record; json: one JSON object per line.",
    )

    ui_enabled: bool | None = Field(
        default=None,
        description="The browser workbench at /ui. Unset: on when auth is on or HOST is a "
        "loopback address (off with auth off on a reachable address); true/false: forced.",
    )

    # --- Limits ----------------------------------------------------------------------------
    max_request_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest request body accepted (413)."
    )
    max_messages_per_request: int = Field(
        default=10_000, ge=1, le=1_000_000, description="Messages one PUT or append may carry."
    )

    # --- Auth ------------------------------------------------------------------------------
    auth_mode: Literal["none", "token", "jwt"] = Field(
        default="none",
        description="none (only sensible on loopback), token (agent-memory token add) or jwt.",
    )
    auth_jwks_url: str | None = Field(default=None, description="JWKS URL of the JWT issuer.")
    auth_jwt_issuer: str | None = Field(default=None, description="Required `iss` of JWTs.")
    auth_jwt_audience: str | None = Field(default=None, description="Required `aud` of JWTs.")
    auth_jwt_algorithms: list[str] = Field(default_factory=lambda: ["RS256"])
    auth_jwt_namespaces_claim: str = Field(
        default="namespaces", description="Claim binding a JWT to namespaces (list or string)."
    )
    auth_jwt_user_id_claim: str = Field(
        default="user_id", description="Claim binding a JWT to one user id."
    )

    # --- Privacy ---------------------------------------------------------------------------
    redact: list[Literal["emails", "phones", "keys"]] = Field(
        default_factory=list,
        description="Redact these before anything is stored or embedded, e.g. "
        '["emails", "phones", "keys"].',
    )
    redact_patterns: list[str] = Field(
        default_factory=list, description="More regular expressions to redact (JSON list)."
    )

    @field_validator("redact_patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as e:
                message = f"REDACT_PATTERNS: {pattern!r} is not a regular expression: {e}"
                raise ValueError(message) from e
        return patterns

    # --- MCP -------------------------------------------------------------------------------
    mcp_port: int = Field(
        default=9000, ge=1, le=65535, description="Port of `agent-memory mcp` in HTTP modes."
    )
    mcp_default_namespace: Identifier | None = Field(
        default=None,
        description="Namespace of MCP calls that name none (a namespace in the URL path wins).",
    )
    mcp_default_user_id: Identifier | None = Field(
        default=None, description="user_id of MCP calls that name none."
    )

    # --- Tasks -----------------------------------------------------------------------------
    embedded_worker: bool = Field(
        default=True,
        description="The API and MCP servers run a Docket worker for you (false: run "
        "`agent-memory task-worker` processes yourself).",
    )
    embedded_worker_mode: Literal["process", "inline"] = Field(
        default="process",
        description="How the embedded worker runs. process: a child process "
        "(`agent-memory task-worker`) that the server starts once it listens, at a lower CPU "
        "priority (nice 10), restarts with a backoff if it dies and stops with itself, so that "
        "background work does not slow requests. inline: a task on the server's own event loop "
        "(one process, less memory; background work competes with requests for the loop).",
    )
    embedded_worker_cores: int = Field(
        default=1, ge=0, le=1024,
        description="How many cores the embedded worker process may run on: the last ones the "
        "server may use; 0: all of them. It is not confined on a machine with no more cores than "
        "this. With one of two cores, requests that run the model (search, the prompt, create) "
        "kept their p95 within about 1.25x of an idle worker's while it drained a backlog "
        "(1.4-1.7x on both cores), and the backlog took about 20% longer "
        "(docs/benchmarks/vs-reference.md).",
    )  # fmt: skip
    docket_name: str | None = Field(
        default=None, description="Docket (queue) name; default '<key_prefix>-docket'."
    )
    worker_concurrency: int = Field(default=4, ge=1, le=256)
    summarization_debounce_seconds: float = Field(default=0.0, ge=0, le=3600)
