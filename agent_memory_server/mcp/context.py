"""What a tool reads from its call: the Resources of the server's lifespan, and the tenant.

The tenant is the default namespace and user of every call that names none: the namespace in
the URL path (`/{namespace}/mcp`, `/{namespace}/sse`) wins over `MCP_DEFAULT_NAMESPACE`;
`MCP_DEFAULT_USER_ID` gives the user. A value the call names itself always wins.
"""

from __future__ import annotations

from typing import Any

from fastmcp import Context
from fastmcp.server.dependencies import get_http_request
from pydantic import BaseModel, ConfigDict

from agent_memory_server.models.common import Identifier
from agent_memory_server.models.filters import TagFilter
from agent_memory_server.resources import Resources

RESOURCES = "resources"  # key of the Resources in the lifespan context


def resources_of(ctx: Context) -> Resources:
    """The Resources the server's lifespan opened or borrowed."""
    resources = ctx.lifespan_context.get(RESOURCES)
    if not isinstance(resources, Resources):
        raise RuntimeError("the MCP server's lifespan did not provide Resources")
    return resources


class Tenant(BaseModel):
    """Default namespace and user of a call (None: no default)."""

    model_config = ConfigDict(frozen=True)

    namespace: Identifier | None = None
    user_id: Identifier | None = None

    def namespace_or(self, given: str | None) -> str | None:
        return given if given is not None else self.namespace

    def user_or(self, given: str | None) -> str | None:
        return given if given is not None else self.user_id

    def namespace_filter(self, given: TagFilter | None) -> TagFilter | None:
        if given is not None or self.namespace is None:
            return given
        return TagFilter(eq=self.namespace)

    def user_filter(self, given: TagFilter | None) -> TagFilter | None:
        if given is not None or self.user_id is None:
            return given
        return TagFilter(eq=self.user_id)

    def owner_defaults(self, record: dict[str, Any]) -> dict[str, Any]:
        """A record (or session) dict with the default namespace and user where it has none."""
        return {
            **record,
            "namespace": self.namespace_or(record.get("namespace")),
            "user_id": self.user_or(record.get("user_id")),
        }


def _path_namespace() -> str | None:
    try:
        request = get_http_request()
    except RuntimeError:  # stdio or in-memory: no HTTP request
        return None
    namespace = request.path_params.get("namespace")
    return namespace if isinstance(namespace, str) else None


def tenant_of(ctx: Context) -> Tenant:
    """The defaults of this call: URL path namespace, else the settings."""
    settings = resources_of(ctx).settings
    path_namespace = _path_namespace()
    return Tenant(
        namespace=path_namespace if path_namespace is not None else settings.mcp_default_namespace,
        user_id=settings.mcp_default_user_id,
    )
