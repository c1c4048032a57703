"""Every operation of the client, once, as a generator of HTTP calls (see _core.py)."""

from __future__ import annotations

from agent_memory_sdk._admin import AdminOps
from agent_memory_sdk._long_term import LongTermOps
from agent_memory_sdk._working import WorkingMemoryOps


class Operations(WorkingMemoryOps, LongTermOps, AdminOps):
    """The operations of both clients; `MemoryAPIClient.x(...)` runs `Operations.x(...)`."""


# Every REST route of the server the client calls: (method, OpenAPI path).
ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/v1/health"), ("GET", "/health"), ("GET", "/v1/health/live"),
        ("GET", "/v1/health/ready"), ("GET", "/metrics"),
        ("GET", "/v1/working-memory/"), ("GET", "/v1/working-memory/{session_id}"),
        ("GET", "/v1/sessions"), ("POST", "/v1/long-term-memory/facets"),
        ("PUT", "/v1/working-memory/{session_id}"), ("DELETE", "/v1/working-memory/{session_id}"),
        ("GET", "/sessions/"), ("GET", "/sessions/{session_id}/memory"),
        ("POST", "/sessions/{session_id}/memory"), ("DELETE", "/sessions/{session_id}/memory"),
        ("POST", "/v1/long-term-memory/"), ("POST", "/v1/long-term-memory/search"),
        ("POST", "/long-term-memory/search"), ("GET", "/v1/long-term-memory/{memory_id}"),
        ("PATCH", "/v1/long-term-memory/{memory_id}"), ("DELETE", "/v1/long-term-memory"),
        ("POST", "/v1/long-term-memory/forget"), ("POST", "/v1/long-term-memory/compact"),
        ("POST", "/v1/long-term-memory/topics"), ("POST", "/v1/memory/prompt"),
        ("GET", "/v1/summary-views"), ("POST", "/v1/summary-views"),
        ("GET", "/v1/summary-views/{view_id}"), ("DELETE", "/v1/summary-views/{view_id}"),
        ("POST", "/v1/summary-views/{view_id}/partitions/run"),
        ("GET", "/v1/summary-views/{view_id}/partitions"),
        ("POST", "/v1/summary-views/{view_id}/run"), ("GET", "/v1/tasks/{task_id}"),
        ("DELETE", "/v1/users/{user_id}"),
    }
)  # fmt: skip
