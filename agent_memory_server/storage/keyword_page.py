"""A keyword (BM25) search page in one round trip: one Lua script runs FT.SEARCH, handles
the ties at the page's end, reads the page's records and records their access.

The generic path (storage/long_term.py `keyword`, then `complete`) took two round trips or
more: FT.SEARCH of the top k + 1 with whole records (vectors included), again 4x deeper while
the k-th and the last hit tied, then a pipeline of one access EVAL per record. On a loaded
machine each round trip is a wait for the Redis process to be scheduled, and keyword search
was no faster than the server it replaces. The script answers the same page: the hits in
BM25 order, ties broken by record id (as services/search.py orders them), fetched deep enough
to hold every hit tied with the page's last one (up to MAX_TIE_FETCH), and only the page's
records read, without their vectors.

Single Redis server only: the script reads keys it is not given (the records the search
finds), which a cluster does not allow; the cluster layout (storage/sharded.py) keeps the
generic path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from agent_memory_server.models.memory_record import MemoryRecord
from agent_memory_server.storage.record_hash import FIELDS, with_access

# The search: ids and scores only (the memory id to break ties), deepened 4x while the hit
# after the page ties with the page's last one; then the page sorted by (score desc, id) and
# its records read (the fields of FIELDS, no vector), each with its access statistics as they
# were before this read; the access recorded when ARGV[6] (a timestamp) is not empty.
# Reply: {total, score, {field values}, {access hash}, score, ...}; scores as strings.
KEYWORD_PAGE = """
local index, query = ARGV[1], ARGV[2]
local offset, limit, cap = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local touched, record_prefix, access_prefix = ARGV[6], ARGV[7], ARGV[8]
local k = offset + limit
local fetch = k + 1
local reply, n
while true do
  reply = redis.call('FT.SEARCH', index, query, 'WITHSCORES', 'SCORER', 'BM25STD',
    'RETURN', 1, 'memory_id', 'LIMIT', 0, fetch, 'DIALECT', 2)
  n = (#reply - 1) / 3
  if n <= k or reply[3 * k] ~= reply[3 * n] or fetch >= math.min(reply[1], cap) then break end
  fetch = fetch * 4
end
local hits = {}
for i = 1, n do
  local returned = reply[3 * i + 1]
  local id = returned and returned[2] or reply[3 * i - 1]
  hits[i] = {reply[3 * i - 1], reply[3 * i], tonumber(reply[3 * i]), id}
end
table.sort(hits, function(a, b)
  if a[3] ~= b[3] then return a[3] > b[3] end
  return a[4] < b[4]
end)
local out = {reply[1]}
for i = offset + 1, math.min(k, n) do
  local key = hits[i][1]
  local access = access_prefix .. string.sub(key, #record_prefix + 1)
  local values = redis.call('HMGET', key, unpack(ARGV, 9))
  local before = redis.call('HGETALL', access)
  if touched ~= '' then
    redis.call('HSET', access, 'last_accessed', touched)
    redis.call('HINCRBY', access, 'access_count', 1)
  end
  out[#out + 1] = hits[i][2]
  out[#out + 1] = values
  out[#out + 1] = before
end
return out
"""


@dataclass(frozen=True)
class KeywordHit:
    record: MemoryRecord
    score: float  # BM25STD


class KeywordPages:
    """The script, registered once per store (EVALSHA, falling back to EVAL)."""

    def __init__(self, redis: Redis) -> None:
        self._script = redis.register_script(KEYWORD_PAGE)

    async def page(
        self, index: str, query: str, offset: int, limit: int, cap: int,
        touched_at: datetime | None, record_prefix: str, access_prefix: str,
    ) -> tuple[list[KeywordHit], int]:  # fmt: skip
        """The hits [offset, offset + limit) of `query` (BM25 order, ties by id) and the
        number of records it matches."""
        touched = "" if touched_at is None else repr(touched_at.timestamp())
        args: list[str | int] = [
            index,
            query,
            offset,
            limit,
            cap,
            touched,
            record_prefix,
            access_prefix,
            *FIELDS,
        ]
        reply: list[Any] = await self._script(keys=[], args=args)
        hits = []
        for i in range(1, len(reply), 3):
            score, values, access = reply[i : i + 3]
            raw = {name: v for name, v in zip(FIELDS, values, strict=True) if v is not None}
            if "memory_id" in raw:
                hits.append(KeywordHit(with_access(raw, access), float(score)))
        return hits, int(reply[0])
