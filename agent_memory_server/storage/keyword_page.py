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
from agent_memory_server.storage.keys import Keys
from agent_memory_server.storage.record_hash import FIELDS, with_access
from agent_memory_server.storage.replies import RANK_FIELDS, Hit, make_hit, search_docs

# The page of sorted `hits` ({key, score as a string, ...}): the records of [offset + 1, k]
# read (HMGET of the field names from ARGV[fields] on), each with its access statistics as
# they were before this read, the access recorded when `touched` (a timestamp) is not ''.
PAGE = """
local out = {total}
for i = offset + 1, math.min(k, #hits) do
  local key = hits[i][1]
  local access = access_prefix .. string.sub(key, #record_prefix + 1)
  local values = redis.call('HMGET', key, unpack(ARGV, fields))
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

# The search: ids and scores only (the memory id to break ties), deepened 4x while the hit
# after the page ties with the page's last one; then the page sorted by (score desc, id) and
# its records read (the fields of FIELDS, no vector), each with its access statistics as they
# were before this read; the access recorded when ARGV[6] (a timestamp) is not empty.
# Reply: {total, score, {field values}, {access hash}, score, ...}; scores as strings.
KEYWORD_PAGE = (
    """
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
local total, fields = reply[1], 9
"""
    + PAGE
)

# The k = offset + limit nearest (ARGV[2]: the KNN query, ARGV[3] the vector), sorted by
# (distance, id) as services/search.py orders them, the records ARGV[4] matches counted,
# then the page as above. Reply as KEYWORD_PAGE's, with distances for scores.
SEMANTIC_PAGE = (
    """
local index, query, blob, scope = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local offset, limit = tonumber(ARGV[5]), tonumber(ARGV[6])
local touched, record_prefix, access_prefix = ARGV[7], ARGV[8], ARGV[9]
local k = offset + limit
local reply = redis.call('FT.SEARCH', index, query, 'PARAMS', 2, 'vector', blob,
  'RETURN', 2, 'memory_id', 'vector_distance', 'SORTBY', 'vector_distance', 'ASC',
  'LIMIT', 0, k, 'DIALECT', 2)
local total = redis.call('FT.SEARCH', index, scope, 'NOCONTENT', 'LIMIT', 0, 0, 'DIALECT', 2)[1]
local hits = {}
for i = 1, (#reply - 1) / 2 do
  local f = {}
  local returned = reply[2 * i + 1]
  for j = 1, #returned, 2 do f[returned[j]] = returned[j + 1] end
  hits[i] = {reply[2 * i], f.vector_distance, tonumber(f.vector_distance), f.memory_id or ''}
end
table.sort(hits, function(a, b)
  if a[3] ~= b[3] then return a[3] < b[3] end
  return a[4] < b[4]
end)
local fields = 10
"""
    + PAGE
)


@dataclass(frozen=True)
class PageHit:
    record: MemoryRecord
    score: float  # BM25STD (keyword) or the cosine distance (semantic)


class SearchPages:
    """The scripts, registered once per store (EVALSHA, falling back to EVAL)."""

    def __init__(self, redis: Redis, keys: Keys, cap: int) -> None:
        self._keyword = redis.register_script(KEYWORD_PAGE)
        self._semantic = redis.register_script(SEMANTIC_PAGE)
        self._prefixes = [keys.long_term_prefix, keys.long_term_access_prefix]
        self.cap = cap  # the most hits tied with the page's last that are fetched

    async def keyword(
        self, index: str, query: str, offset: int, limit: int, touched_at: datetime | None
    ) -> tuple[list[PageHit], int]:
        """The hits [offset, offset + limit) of `query` (BM25 order, ties by id) and the
        number of records it matches."""
        args: list[Any] = [index, query, offset, limit, self.cap, _touched(touched_at),
                           *self._prefixes, *FIELDS]  # fmt: skip
        return _page(await self._keyword(keys=[], args=args))

    async def semantic(
        self, index: str, query: str, vector: bytes, scope: str, offset: int, limit: int,
        touched_at: datetime | None,
    ) -> tuple[list[PageHit], int]:  # fmt: skip
        """The nearest [offset, offset + limit) by the KNN `query` (distance order, ties by
        id) and the number of records `scope` matches."""
        args: list[Any] = [index, query, vector, scope, offset, limit, _touched(touched_at),
                           *self._prefixes, *FIELDS]  # fmt: skip
        return _page(await self._semantic(keys=[], args=args))


def _touched(touched_at: datetime | None) -> str:
    return "" if touched_at is None else repr(touched_at.timestamp())


def _page(reply: list[Any]) -> tuple[list[PageHit], int]:
    hits = []
    for i in range(1, len(reply), 3):
        score, values, access = reply[i : i + 3]
        raw = {name: v for name, v in zip(FIELDS, values, strict=True) if v is not None}
        if "memory_id" in raw:
            hits.append(PageHit(with_access(raw, access), float(score)))
    return hits, int(reply[0])


VECTORS_FETCHED = 256  # hits: a deeper tie fetch leaves their stored vectors out (1.5 KB each)


async def keyword_hits(
    redis: Redis, index: str, query: str, k: int, returned: list[Any], cap: int
) -> tuple[list[Hit], int]:
    """The top k BM25 hits of `query` and the match count, for callers that rank the hits
    themselves (hybrid search, re-ranking, the cluster): FT.SEARCH of k + 1, RETURNing
    `returned` ([]: whole records), again 4x deeper (whole records no more, nor vectors past
    VECTORS_FETCHED hits) while the k-th and the last hit tie, up to `cap`. Every hit tied
    with the k-th score comes along, so that callers can order ties by id and page through
    them without gaps or repeats."""
    full = not returned
    fetch = k + 1
    while True:
        reply = await redis.execute_command(  # type: ignore[no-untyped-call]
            "FT.SEARCH", index, query, "WITHSCORES", "SCORER", "BM25STD", *returned,
            "LIMIT", 0, fetch, "DIALECT", 2,
        )  # fmt: skip
        total, docs = search_docs(reply)
        hits = [make_hit(doc, full, keyword_score=float(doc["__score"])) for doc in docs]
        tied = len(hits) > k and hits[k - 1].keyword_score == hits[-1].keyword_score
        if not tied or fetch >= min(total, cap):
            boundary = hits[k - 1].keyword_score if len(hits) >= k else None
            return [h for i, h in enumerate(hits) if i < k or h.keyword_score == boundary], total
        fetch *= 4
        if full or fetch > VECTORS_FETCHED:  # many tied hits: no whole records nor vectors
            kept = RANK_FIELDS if full else [f for f in returned[2:] if f != "vector"]
            full, returned = False, ["RETURN", len(kept), *kept]
