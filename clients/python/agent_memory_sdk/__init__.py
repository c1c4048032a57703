"""agent-memory-sdk: the maintained Python client of agent-memory-server.

from agent_memory_sdk import MemoryAPIClient, MemoryClientConfig
"""

from agent_memory_sdk._core import VERSION, Call, MemoryClientConfig
from agent_memory_sdk.client import MemoryAPIClient, create_memory_client
from agent_memory_sdk.exceptions import (
    Conflict,
    ConflictError,
    FeatureUnavailableError,
    Forbidden,
    ForbiddenError,
    Invalid,
    InvalidRequestError,
    MemoryClientError,
    MemoryConnectionError,
    MemoryNotFoundError,
    MemoryServerError,
    MemoryValidationError,
    NotFound,
    NotFoundError,
    Unauthorized,
    UnauthorizedError,
    Unavailable,
    UnavailableError,
)
from agent_memory_sdk.models import (
    ClientMemoryRecord,
    CreateSummaryViewRequest,
    ForgetPolicy,
    ForgetResponse,
    MemoryMessage,
    MemoryRecord,
    MemoryTypeEnum,
    ModelNameLiteral,
    SummaryView,
    SummaryViewPartitionResult,
    Task,
    WorkingMemory,
    WorkingMemoryResponse,
)
from agent_memory_sdk.operations import ROUTES
from agent_memory_sdk.sync import SyncMemoryAPIClient

__version__ = VERSION

__all__ = [
    "ROUTES",
    "Call",
    "ClientMemoryRecord",
    "Conflict",
    "ConflictError",
    "CreateSummaryViewRequest",
    "FeatureUnavailableError",
    "Forbidden",
    "ForbiddenError",
    "ForgetPolicy",
    "ForgetResponse",
    "Invalid",
    "InvalidRequestError",
    "MemoryAPIClient",
    "MemoryClientConfig",
    "MemoryClientError",
    "MemoryConnectionError",
    "MemoryMessage",
    "MemoryNotFoundError",
    "MemoryRecord",
    "MemoryServerError",
    "MemoryTypeEnum",
    "MemoryValidationError",
    "ModelNameLiteral",
    "NotFound",
    "NotFoundError",
    "SummaryView",
    "SummaryViewPartitionResult",
    "SyncMemoryAPIClient",
    "Task",
    "Unauthorized",
    "UnauthorizedError",
    "Unavailable",
    "UnavailableError",
    "WorkingMemory",
    "WorkingMemoryResponse",
    "create_memory_client",
]
