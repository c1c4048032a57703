"""Redis connection and the start-up check of the modules we need."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from agent_memory_server.errors import ConfigurationError

REQUIRED_MODULES = {"search": "RediSearch", "ReJSON": "RedisJSON"}


def connect(url: str) -> Redis:
    return Redis.from_url(url, decode_responses=False, health_check_interval=30)


async def check_modules(redis: Redis, url: str, *, embedded: bool) -> None:
    """Fail with a message that names what is missing and how to get it."""
    where = "the embedded Redis server" if embedded else f"REDIS_URL ({_redact(url)})"
    try:
        modules = await redis.module_list()
    except RedisError as e:
        raise ConfigurationError(f"Cannot reach Redis at {where}: {e}") from e
    names = {_text(m.get(b"name", m.get("name", b""))) for m in modules}
    missing = [label for name, label in REQUIRED_MODULES.items() if name not in names]
    if missing:
        raise ConfigurationError(
            f"Redis at {where} lacks {', '.join(missing)}. Use Redis 8 (search and JSON built "
            "in) or Redis Stack, or unset REDIS_URL to run the embedded server."
        )


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _redact(url: str) -> str:
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1) if "://" in url else ("redis", url)
    return f"{scheme}://***@{rest.split('@', 1)[1]}"
