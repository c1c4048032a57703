"""Settings, read from environment variables and `.env` (pydantic-settings).

Every field is documented in docs/reference/configuration.md, generated from this class (and
its base, config_base.ServiceSettings) when the site is built (`make docs`): a field needs a
`description` here or a note in docs/hooks/settings_notes.yml, or the build and
tests/unit/test_docs.py fail.
Settings are built by the CLI or `create_app`, never at import time.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator

from agent_memory_server.config_base import ServiceSettings
from agent_memory_server.errors import ConfigurationError

logger = logging.getLogger(__name__)

LLMProvider = Literal["auto", "openai", "anthropic", "none"]


class Settings(ServiceSettings):
    """All runtime settings of the server, worker, MCP server and CLI."""

    # --- Working memory --------------------------------------------------------------------
    summarization_threshold: float = Field(
        default=0.7, gt=0, le=1, description="Fraction of the window that triggers summarization."
    )
    summary_max_tokens: int = Field(default=512, ge=16, le=16384)
    default_ttl_seconds: int | None = Field(default=None, ge=1)

    # --- Models ----------------------------------------------------------------------------
    llm_provider: LLMProvider = Field(
        default="auto",
        description="auto: OpenAI if an OpenAI key or base URL is set, else Anthropic if its key "
        "is set, else none (local extractive summaries).",
    )
    generation_model: str = Field(default="gpt-4o-mini", description="Chat model for summaries.")
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible server (Ollama, vLLM): e.g. http://localhost:11434/v1",
    )
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    llm_timeout_seconds: float = Field(default=60.0, gt=0)
    # --- Embeddings and long-term search ------------------------------------------------
    embedding_provider: Literal["local", "openai", "sentence-transformers"] = Field(
        default="local",
        description="local: all-MiniLM-L6-v2 on onnxruntime; openai: OpenAI or compatible; "
        "sentence-transformers: a local model directory (extra).",
    )
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="OpenAI model (e.g. text-embedding-3-small) or sentence-transformers path.",
    )
    embedding_dimensions: int | None = Field(default=None, ge=8, le=8192)
    embedding_base_url: str | None = Field(
        default=None, description="OpenAI-compatible embeddings server; default OPENAI_BASE_URL."
    )
    embedding_api_key: SecretStr | None = None
    embedding_batch_size: int = Field(default=32, ge=1, le=2048)
    embedding_threads: int | None = Field(default=None, ge=1, le=64)
    embedding_coalesce: bool = Field(
        default=False,
        description="Local model only: requests' texts embedded while a batch runs go to the "
        "model together, as one batch (providers/batching.py). Off: on 2 cores it saved about "
        "1-2 ms of CPU per create but raised create p50 at c=8 (docs/benchmarks/vs-reference.md).",
    )
    query_embedding_precision: Literal["float32", "int8"] = Field(
        default="int8",
        description="Local model only: the model search queries are embedded with; int8: a "
        "quantised copy, built once and cached beside the float graph (stored vectors stay "
        "float32; LoCoMo hybrid Hit@10 74.9 either way, docs/benchmarks/vs-reference.md).",
    )
    query_embedding_threads: int = Field(
        default=1, ge=0, le=64,
        description="Local model only: onnxruntime threads of the search queries' own "
        "session; 0: queries share the write path's session (float32 only).",
    )  # fmt: skip
    query_embedding_cache: int = Field(
        default=1024, ge=0, le=1_000_000,
        description="Query vectors kept in memory (LRU, per tenant, model and text); 0: off.",
    )  # fmt: skip
    model_cache_dir: Path | None = Field(
        default=None,
        description="Where the local embedder's ONNX graph is cached; default data_dir/models.",
    )
    search_exact_unions: bool = Field(
        default=True,
        description="At start-up, set RediSearch's UNION_ITERATOR_HEAP to 1 on the long-term "
        "Redis (server-wide): Redis 8.2 otherwise scores a record that matches several terms "
        "of a filtered keyword search by one of them (storage/connection.py).",
    )
    hnsw_m: int = Field(default=16, ge=2, le=512)
    hnsw_ef_construction: int = Field(default=200, ge=4, le=4096)
    hnsw_ef_runtime: int = Field(default=128, ge=1, le=4096)  # docs/benchmarks/scale.md
    # Hybrid ranking: chosen on the LoCoMo and LongMemEval dev sets together
    # (docs/benchmarks/retrieval.md, benchmarks/recall_research.py).
    hybrid_fusion: Literal["rrf", "minmax"] = Field(
        default="minmax", description="Min-max score fusion, or weighted reciprocal-rank fusion."
    )
    hybrid_alpha: float = Field(
        default=0.6, ge=0, le=1, description="Weight of the semantic leg in hybrid search."
    )
    hybrid_rrf_k: float = Field(default=1.0, ge=0, le=1000, description="RRF rank offset k.")
    hybrid_session_weight: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Share of a hybrid score from its session's best turns.",
    )
    hybrid_session_turns: int = Field(
        default=1, ge=1, le=20, description="How many best turns make a session's strength."
    )
    hybrid_date_weight: float = Field(
        default=0.2, ge=0, le=1,
        description="Share of a hybrid score from event_date near a relative date in the query.",
    )  # fmt: skip
    hybrid_keyword_gap: float = Field(
        default=0.3, ge=0, le=1,
        description="Relative gap between the keyword leg's best BM25 score and the one "
        "HYBRID_KEYWORD_GAP_TURNS places below it at which the leg gets its full weight; a "
        "flatter leg gets less (0: always full).",
    )  # fmt: skip
    hybrid_keyword_gap_turns: int = Field(
        default=5, ge=1, le=100, description="How far below the best HYBRID_KEYWORD_GAP looks."
    )
    hybrid_long_turn: float = Field(
        default=0.0, ge=0, le=100,
        description="A record longer than this many times the median length of the hybrid "
        "candidates has its BM25 score damped by (this x median / length) ** "
        "HYBRID_LONG_TURN_POWER; its session is judged undamped (0: off; 4 measured in "
        "docs/benchmarks/retrieval.md, not confirmed over REST).",
    )  # fmt: skip
    hybrid_long_turn_power: float = Field(
        default=2.0, ge=0, le=10, description="How hard HYBRID_LONG_TURN damps a long record."
    )
    hybrid_coverage_weight: float = Field(
        default=0.0, ge=0, le=1,
        description="Share of the keyword leg's normalised score (min-max fusion) taken from "
        "the record's coverage of the query's content words (stop words and how the question "
        "asks, 'how many months ago', left out; lightly stemmed) instead of BM25, which "
        "rewards a long record repeating one query word (0: BM25 alone; 0.5 measured in "
        "docs/benchmarks/retrieval.md, off since exact union scores).",
    )  # fmt: skip
    hybrid_assistant_factor: float = Field(
        default=0.6, ge=0, le=1,
        description="A record whose metadata.role is 'assistant' keeps this share of its "
        "hybrid score unless the query addresses the assistant ('you', 'your'); its session "
        "is judged undamped (1: off).",
    )  # fmt: skip
    hybrid_session_text: float = Field(
        default=0.5, ge=0, le=1,
        description="Share of a session's strength (HYBRID_SESSION_WEIGHT) from BM25 of the "
        "query against the session's visible records taken together, read at query time "
        "(0: the session's best turns alone).",
    )  # fmt: skip
    hybrid_new_session_place: int = Field(
        default=7, ge=0, le=1000,
        description="Hybrid search gives this place of its ranking (1-based), and the "
        "HYBRID_NEW_SESSIONS - 1 after it, each to the best record of a session with no "
        "record above it (0: off).",
    )  # fmt: skip
    hybrid_new_sessions: int = Field(
        default=4, ge=1, le=100,
        description="How many places from HYBRID_NEW_SESSION_PLACE on go to new sessions.",
    )  # fmt: skip
    hybrid_question_form: bool = Field(
        default=True,
        description="Hybrid search leaves how a question asks ('how many days ago', 'the "
        "total number of', 'in total') out of its keyword leg and session text: those words "
        "name no memory's content (the semantic leg reads the whole query).",
    )
    hybrid_session_text_max_records: int = Field(
        default=2000, ge=0, le=1_000_000,
        description="HYBRID_SESSION_TEXT is skipped when the search's filter leaves more "
        "records than this (its aggregate grows with them).",
    )  # fmt: skip
    search_candidates: int = Field(
        default=50, ge=10, le=1000, description="Candidates each hybrid/recency leg fetches."
    )
    track_access: bool = Field(
        default=True, description="Update last_accessed/access_count of records a search returns."
    )

    # --- Background pipeline: promotion, extraction, topics, entities ------------------
    long_term_memory: bool = Field(
        default=True, description="Promote and extract session content into long-term memory."
    )
    index_messages: bool = Field(
        default=False, description="Also store every session message as a `message` record."
    )
    extraction: bool = Field(
        default=True, description="Extract memories from session messages (LLM, or local)."
    )
    entity_extraction: Literal["spacy", "transformers", "llm", "none"] = "spacy"
    ner_model: str | None = Field(
        default=None, description="spaCy package/dir, or local transformers NER model dir."
    )
    topic_extraction: Literal["embedding", "llm", "none"] = "embedding"
    topic_labels: list[str] | None = Field(
        default=None, description="Topic labels (JSON list); default: 30 built-in labels."
    )

    # --- Compaction and forgetting ---------------------------------------------------------
    compaction_distance_threshold: float = Field(
        default=0.10,
        ge=0,
        le=2,
        description="Cosine distance at or under which compaction merges two memories of one "
        "owner (0.10 suits all-MiniLM-L6-v2; measure again for another embedder).",
    )
    compaction_interval_minutes: int = Field(
        default=60, ge=0, le=525_600, description="Periodic compaction of all memory; 0 = off."
    )
    summary_view_refresh_minutes: int = Field(
        default=60, ge=0, le=525_600,
        description="Run every continuous summary view this often; 0 = never.",
    )  # fmt: skip
    forgetting_enabled: bool = Field(
        default=False, description="Run the periodic forgetting job with the policy below."
    )
    forgetting_interval_minutes: int = Field(default=1440, ge=1, le=525_600)
    forgetting_max_age_days: float | None = Field(default=None, ge=0, le=1_000_000)
    forgetting_max_inactive_days: float | None = Field(default=None, ge=0, le=1_000_000)
    forgetting_budget: int | None = Field(
        default=None, ge=0, description="Periodic forgetting keeps at most N per namespace+user."
    )

    tokenizer_cache_dir: Path | None = Field(
        default=None,
        description="Where tiktoken's encoding files are seeded; default data_dir/tiktoken.",
    )

    @field_validator(
        "redis_url",
        "working_memory_redis_url",
        "long_term_redis_url",
        "task_queue_redis_url",
        "openai_base_url",
        "anthropic_base_url",
        "embedding_base_url",
        "mcp_default_namespace",
        "mcp_default_user_id",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    # Rules across settings. A broken one raises ConfigurationError (not a ValueError, which
    # pydantic would wrap): the doors answer it like any start-up failure, with this message.

    @model_validator(mode="after")
    def _llm_is_there_when_needed(self) -> Settings:
        provider = self.resolved_llm_provider()
        if provider == "openai" and self.openai_api_key is None and self.openai_base_url is None:
            raise ConfigurationError("LLM_PROVIDER=openai needs OPENAI_API_KEY or OPENAI_BASE_URL")
        if provider == "anthropic" and self.anthropic_api_key is None:
            raise ConfigurationError("LLM_PROVIDER=anthropic needs ANTHROPIC_API_KEY")
        if "llm" in (self.entity_extraction, self.topic_extraction) and provider == "none":
            raise ConfigurationError(
                "ENTITY_EXTRACTION=llm or TOPIC_EXTRACTION=llm needs an LLM (set LLM_PROVIDER)"
            )
        return self

    @model_validator(mode="after")
    def _jwt_has_its_keys(self) -> Settings:
        if self.auth_mode == "jwt" and not self.auth_jwks_url:
            raise ConfigurationError("AUTH_MODE=jwt needs AUTH_JWKS_URL")
        return self

    @model_validator(mode="after")
    def _forgetting_has_a_rule(self) -> Settings:
        if self.forgetting_enabled and self.forgetting_rules() is None:
            logger.warning(
                "FORGETTING_ENABLED is set but none of FORGETTING_MAX_AGE_DAYS, "
                "FORGETTING_MAX_INACTIVE_DAYS, FORGETTING_BUDGET is: nothing is forgotten"
            )
        return self

    def forgetting_rules(self) -> dict[str, float | int | None] | None:
        """The periodic forgetting job's policy fields (FORGETTING_*); None when none is set."""
        rules: dict[str, float | int | None] = {
            "max_age_days": self.forgetting_max_age_days,
            "max_inactive_days": self.forgetting_max_inactive_days,
            "budget": self.forgetting_budget,
        }
        return None if all(value is None for value in rules.values()) else rules

    @property
    def docket(self) -> str:
        """The Docket name used by the API's worker, separate workers and the scheduler."""
        return self.docket_name or f"{self.key_prefix}-docket"

    def resolved_llm_provider(self) -> Literal["openai", "anthropic", "none"]:
        """Which chat provider `auto` stands for with the current keys."""
        if self.llm_provider != "auto":
            return self.llm_provider
        if self.openai_api_key is not None or self.openai_base_url is not None:
            return "openai"
        if self.anthropic_api_key is not None:
            return "anthropic"
        return "none"


def describe_invalid(error: ValidationError) -> str:
    """One line per refused setting, named as its environment variable."""
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in problem["loc"]).upper() or "settings"
        lines.append(f"{name}: {problem['msg']}")
    return "invalid settings: " + "; ".join(lines)
