"""Redis connection and the start-up check of the modules we need.

A URL is a single server (`redis://`, `rediss://`, `unix://`) or a Redis Cluster
(`redis+cluster://host:port`, `rediss+cluster://`: any node of the cluster). A cluster is
reached with redis-py's cluster client speaking RESP2 (redisvl's cluster paths do not read
RESP3 replies); the module check runs on every primary.
"""

from __future__ import annotations

import logging
from typing import cast

from redis._parsers.commands import CommandPolicies, RequestPolicy, ResponsePolicy
from redis.asyncio import Redis, RedisCluster
from redis.commands.policies import AsyncStaticPolicyResolver
from redis.exceptions import RedisError

from agent_memory_server.errors import ConfigurationError
from agent_memory_server.storage.keys import Keys

logger = logging.getLogger(__name__)

REQUIRED_MODULES = {"search": "RediSearch", "ReJSON": "RedisJSON"}
CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")
# How long a command may wait for its reply. redis-py 8's default is 5 s, for both clients:
# a large write (a batch of records indexed into HNSW in one transaction) or an aggregate over
# thousands of records takes longer on a busy node, and failed as "Redis is unreachable".
# A node that hangs is still noticed.
SOCKET_TIMEOUT_SECONDS = 120.0


def is_cluster_url(url: str) -> bool:
    return url.lower().startswith(CLUSTER_SCHEMES)


def is_cluster(redis: Redis) -> bool:
    """Whether a client of ours talks to a Redis Cluster (see `connect`)."""
    return isinstance(redis, RedisCluster)


class _IndexKeyedPolicies(AsyncStaticPolicyResolver):
    """Route by key: FT.* commands to the node that owns their index name's slot, and every
    keyed command to its key's node from the client's first command on.

    redis-py's static policies send search commands to any node, as a cluster with a search
    coordinator (Redis 8 Query Engine, Redis Cloud) allows. Without one, an index lives on one
    shard only: elsewhere the command gets MOVED, and redis-py's handling of that (a topology
    refresh) breaks other requests in flight. The index name is the command's key (COMMAND
    GETKEYS), so keyed routing reaches the right node at once.

    A command with neither a static policy nor a node flag (HSET, JSON.SET, EVALSHA...) is
    routed by its key only once the client knows a default node: a fresh client sent its first
    such command to a random node (MOVED; seen in the summary-view tests). Keyed routing from
    the start gives the same node the initialised client picks; a keyless command still goes to
    a random node.
    """

    async def resolve(self, command_name: str) -> CommandPolicies | None:
        if command_name.startswith("ft.") and command_name != "ft._list":
            return _KEYED
        policies = await super().resolve(command_name)
        if policies is None and command_name.upper() not in RedisCluster.COMMAND_FLAGS:
            return _KEYED
        return policies


_KEYED = CommandPolicies(
    request_policy=RequestPolicy.DEFAULT_KEYED, response_policy=ResponsePolicy.DEFAULT_KEYED
)


def connect(url: str) -> Redis:
    """A client for the URL. A cluster client is typed as `Redis`: the stores use only the
    commands both share, with keys that share a hash tag wherever one command or transaction
    touches several (storage/keys.py)."""
    if is_cluster_url(url):
        plain = url.replace("+cluster", "", 1)
        cluster = RedisCluster.from_url(
            plain, decode_responses=False, protocol=2, health_check_interval=30,
            policy_resolver=_IndexKeyedPolicies(),
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
        )  # fmt: skip
        return cast(Redis, cluster)
    return Redis.from_url(
        url, decode_responses=False, health_check_interval=30, socket_timeout=SOCKET_TIMEOUT_SECONDS
    )


async def check_modules(redis: Redis, url: str, *, embedded: bool) -> None:
    """Fail with a message that names what is missing and how to get it (on a cluster: on
    every primary, since each shard runs its own search)."""
    where = "the embedded Redis server" if embedded else f"REDIS_URL ({_redact(url)})"
    try:
        if isinstance(redis, RedisCluster):
            await redis.initialize()
            replies = [
                (f"{node.host}:{node.port}", await redis.execute_command("MODULE", "LIST",
                                                                          target_nodes=node))
                for node in redis.get_primaries()
            ]  # fmt: skip
        else:
            replies = [("", await redis.module_list())]
    except RedisError as e:
        raise ConfigurationError(f"Cannot reach Redis at {where}: {e}") from e
    for node, modules in replies:
        names = {_module_name(m) for m in modules}
        missing = [label for name, label in REQUIRED_MODULES.items() if name not in names]
        if missing:
            shard = f" (cluster node {node})" if node else ""
            raise ConfigurationError(
                f"Redis at {where}{shard} lacks {', '.join(missing)}. Use Redis 8 (search and "
                "JSON built in) or Redis Stack, or unset REDIS_URL to run the embedded server."
            )


async def exact_union_scores(redis: Redis) -> bool:
    """Make RediSearch score every term of a union under a filter (on every primary).

    Redis 8.2's union iterator below an intersection (`(@text:(a | b)) @namespace:{x}`, how
    every filtered keyword search is written; a stemmed term is such a union too) skips to a
    document by its first matching child only unless the union uses its heap, so a record
    matching several query terms got the BM25 of one (two identical records scored 6.9 and
    1.4: tests/integration/test_session_text.py). UNION_ITERATOR_HEAP is the number of
    children from which the heap is used (default 20); 1 makes every union exact. A server
    that refuses the setting (a managed Redis) is left as it is, with a warning."""
    command = ("FT.CONFIG", "SET", "UNION_ITERATOR_HEAP", "1")
    try:
        if isinstance(redis, RedisCluster):
            await redis.initialize()
            for node in redis.get_primaries():
                await redis.execute_command(*command, target_nodes=node)
        else:
            await redis.execute_command(*command)  # type: ignore[no-untyped-call]
    except RedisError as e:
        logger.warning(
            "Redis refused FT.CONFIG SET UNION_ITERATOR_HEAP 1 (%s): keyword scores of "
            "filtered searches may count one query term a record", e,
        )  # fmt: skip
        return False
    return True


def _module_name(module: object) -> str:
    """A MODULE LIST entry: a map (RESP3, or redis-py's parsed reply) or a flat list (RESP2)."""
    if isinstance(module, dict):
        return _text(module.get(b"name", module.get("name", b"")))
    if isinstance(module, list | tuple):
        pairs = dict(zip(module[::2], module[1::2], strict=False))
        return _text(pairs.get(b"name", pairs.get("name", b"")))
    return ""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _redact(url: str) -> str:
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1) if "://" in url else ("redis", url)
    return f"{scheme}://***@{rest.split('@', 1)[1]}"


def keys_for(prefix: str, redis: Redis) -> Keys:
    """The key builder for a client: hash-tagged keys when it talks to a cluster."""
    return Keys(prefix, cluster=is_cluster(redis))
