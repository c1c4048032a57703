"""API tokens: one hash per token under the SHA-256 of the token, so a lookup is one HGETALL.

The token itself is never stored. Tokens are long random strings, so a plain SHA-256 is
enough (a slow password hash would only add work to every request). An expiring token's key
expires with it; the id index (id -> digest) is pruned when tokens are listed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from agent_memory_server.storage.keys import Keys


@dataclass(frozen=True)
class TokenRecord:
    id: str
    name: str
    namespaces: list[str] | None
    user_id: str | None
    created_at: float
    expires_at: float | None

    def to_hash(self) -> dict[str, str]:
        fields = {"id": self.id, "name": self.name, "created_at": repr(self.created_at)}
        if self.namespaces is not None:
            fields["namespaces"] = json.dumps(self.namespaces)
        if self.user_id is not None:
            fields["user_id"] = self.user_id
        if self.expires_at is not None:
            fields["expires_at"] = repr(self.expires_at)
        return fields

    @classmethod
    def from_hash(cls, raw: dict[Any, Any]) -> TokenRecord:
        fields = {_text(k): _text(v) for k, v in raw.items()}
        expires = fields.get("expires_at")
        namespaces = fields.get("namespaces")
        return cls(
            id=fields["id"], name=fields["name"],
            namespaces=None if namespaces is None else list(json.loads(namespaces)),
            user_id=fields.get("user_id"), created_at=float(fields["created_at"]),
            expires_at=None if expires is None else float(expires),
        )  # fmt: skip


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class TokenStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def add(self, digest: str, record: TokenRecord) -> None:
        key = self.keys.auth_token(digest)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=record.to_hash())  # type: ignore[arg-type]
            if record.expires_at is not None:
                pipe.expireat(key, int(record.expires_at) + 1)
            pipe.hset(self.keys.auth_token_ids, record.id, digest)
            await pipe.execute()

    async def by_digest(self, digest: str) -> TokenRecord | None:
        raw = await self.redis.hgetall(self.keys.auth_token(digest))
        return TokenRecord.from_hash(raw) if raw else None

    async def digest_of(self, token_id: str) -> str | None:
        raw = await self.redis.hget(self.keys.auth_token_ids, token_id)
        return None if raw is None else _text(raw)

    async def all(self) -> list[TokenRecord]:
        """Every live token; ids of expired ones are dropped from the index."""
        index = await self.redis.hgetall(self.keys.auth_token_ids)
        pairs = [(_text(i), _text(d)) for i, d in index.items()]
        async with self.redis.pipeline(transaction=False) as pipe:
            for _, digest in pairs:
                pipe.hgetall(self.keys.auth_token(digest))
            rows = await pipe.execute()
        gone = [token_id for (token_id, _), raw in zip(pairs, rows, strict=True) if not raw]
        if gone:
            await self.redis.hdel(self.keys.auth_token_ids, *gone)
        now = time.time()
        records = [TokenRecord.from_hash(raw) for raw in rows if raw]
        return [r for r in records if r.expires_at is None or r.expires_at > now]

    async def remove(self, token_id: str) -> bool:
        digest = await self.digest_of(token_id)
        if digest is None:
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.auth_token(digest))
            pipe.hdel(self.keys.auth_token_ids, token_id)
            await pipe.execute()
        return True
