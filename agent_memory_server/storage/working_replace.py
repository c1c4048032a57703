"""PUT of a whole session in one round trip: one Lua script checks the stored session's owner,
replaces it keeping what the pipeline did with the messages sent back, and sets the session's
queued-run marker (storage/working.py `replace`).

It was a read of the stored owner, window, creation time and processed messages, then a
MULTI of the write and the marker: two round trips, each a wait for the Redis process on a
loaded machine. Both keys are in the session's hash slot on a cluster (storage/keys.py).

What a replaced session keeps: clients that keep their own transcript PUT the whole session
every turn without the pipeline's flags, so every message read as "not extracted" and the
worker ran NER, embedding and extraction again on the whole session after every turn. A
message sent back as it is stored (same id, role and content) keeps its extraction and
indexing marks (`discrete_memory_extracted` "t", `persisted_at`) unless the client set those
fields itself; the session keeps its creation time, and its window when the request names
none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from agent_memory_server.models.working_memory import MemoryMessage

# KEYS: the session, its queued-run marker.
# ARGV: 1 the new document (JSON); 2 [the writer's user_id] (JSON); 3 [the user a bound caller
# is confined to, or null] (JSON); 4 the TTL in seconds or ''; 5 the marker's seconds or ''
# (no marker); 6 per message, what it may keep (JSON list: 1 its extraction mark, 2 its
# persisted_at, 3 both); 7 '1': take the stored window; 8 how many messages are unextracted
# ("f"), 9 '1' when the document says extraction is pending, 10 per message, the work a run
# would have with it (JSON list: 1 extraction, 2 indexing) unless it keeps its marks, 11 '1'
# when a carried memory waits for promotion. The marker is set only when some work is left.
# Reply: {0, created_at, window, marked, kept, cleared} where created_at and window are the
# stored JSON values kept ('' for none), kept is JSON [[index, persisted_at or false, extracted],
# ...], cleared 1 when no message is left to extract. {1}: the caller may not replace the
# stored session (another user's, for a caller confined to a user); {2}: another user's session.
REPLACE_SESSION = """
local key = KEYS[1]
local function stored(path)
  local raw = redis.call('JSON.GET', key, path)
  local value = string.sub(raw, 2, -2)
  if value == 'null' then return '' end
  return value
end
local created_at, created_ts, window = '', '', ''
local kept, extracted = {}, 0
if redis.call('EXISTS', key) == 1 then
  local user = cjson.decode(redis.call('JSON.GET', key, '$.user_id'))[1]
  if user == nil then user = cjson.null end
  local bound = cjson.decode(ARGV[3])[1]
  if bound ~= cjson.null and user ~= bound then return {1} end
  if user ~= cjson.null and user ~= cjson.decode(ARGV[2])[1] then return {2} end
  created_at, created_ts = stored('$.created_at'), stored('$.created_ts')
  if ARGV[7] == '1' then window = stored('$.context_window_max') end
  local may = cjson.decode(ARGV[6])
  if #may > 0 then
    local done = cjson.decode(redis.call('JSON.GET', key,
      '$.messages[?(@.discrete_memory_extracted=="t" || @.persisted_at!=null)]'))
    if #done > 0 then
      local by_id = {}
      for _, m in ipairs(done) do
        if type(m.id) == 'string' then by_id[m.id] = m end
      end
      local messages = cjson.decode(ARGV[1]).messages
      for i, m in ipairs(messages) do
        local previous = by_id[m.id]
        local can = may[i] or 0
        if can > 0 and previous and previous.role == m.role and previous.content == m.content then
          local mark = (can % 2 == 1) and previous.discrete_memory_extracted == 't'
          local persisted = can >= 2 and previous.persisted_at
          if type(persisted) ~= 'string' or persisted == '' then persisted = false end
          if mark or persisted then
            kept[#kept + 1] = {i - 1, persisted, mark}
            if mark then extracted = extracted + 1 end
          end
        end
      end
    end
  end
end
redis.call('JSON.SET', key, '$', ARGV[1])
for _, k in ipairs(kept) do
  local path = '$.messages[' .. k[1] .. '].'
  if k[3] then redis.call('JSON.SET', key, path .. 'discrete_memory_extracted', '"t"') end
  if k[2] then redis.call('JSON.SET', key, path .. 'persisted_at', cjson.encode(k[2])) end
end
if created_at ~= '' then
  redis.call('JSON.SET', key, '$.created_at', created_at)
  if created_ts ~= '' then redis.call('JSON.SET', key, '$.created_ts', created_ts) end
end
if window ~= '' then redis.call('JSON.SET', key, '$.context_window_max', window) end
local cleared = 0
if ARGV[9] == '1' and extracted > 0 and tonumber(ARGV[8]) - extracted <= 0 then
  redis.call('JSON.SET', key, '$.extraction_status', 'null')
  cleared = 1
end
if ARGV[4] ~= '' then redis.call('EXPIRE', key, ARGV[4]) end
local marked = 0
if ARGV[5] ~= '' then
  local work = ARGV[11] == '1'
  if not work then
    local needs = cjson.decode(ARGV[10])
    for _, k in ipairs(kept) do
      local n = needs[k[1] + 1] or 0
      if k[3] and n % 2 == 1 then n = n - 1 end
      if k[2] and n >= 2 then n = n - 2 end
      needs[k[1] + 1] = n
    end
    for _, n in ipairs(needs) do
      if n > 0 then work = true break end
    end
  end
  if work and redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[5]) then marked = 1 end
end
local out = '[]'
if #kept > 0 then out = cjson.encode(kept) end
return {0, created_at, window, marked, out, cleared}
"""

FORBIDDEN, CONFLICT = 1, 2


@dataclass(frozen=True)
class Replaced:
    """What `replace` found and did."""

    refused: int = 0  # FORBIDDEN or CONFLICT: nothing was written
    created_at: Any = None  # the stored session's creation time (JSON value), which it kept
    window: int | None = None  # the stored window, taken when the request named none
    marked: bool = False  # the queued-run marker was set by this write (work is left)
    cleared: bool = False  # every unextracted message kept its mark: nothing is pending
    # (index, persisted_at or None, extracted) of each message that kept the pipeline's marks
    kept: list[tuple[int, str | None, bool]] = field(default_factory=list)

    def apply(self, messages: list[MemoryMessage]) -> None:
        """The kept marks on the messages as sent (the session as it now is, for the reply)."""
        for index, persisted_at, extracted in self.kept:
            message = messages[index]
            if extracted:
                message.discrete_memory_extracted = "t"
            if persisted_at:
                message.persisted_at = datetime.fromisoformat(persisted_at)


def work_per_message(
    messages: list[MemoryMessage], *, extraction: bool, indexing: bool
) -> list[int]:
    """Per message, what the session's processing run would do with it as sent (1: extract
    memories from it, 2: index it), before any marks the stored session lets it keep."""
    return [
        (extraction and m.discrete_memory_extracted == "f")
        + 2 * (indexing and m.persisted_at is None)
        for m in messages
    ]


def may_keep(messages: list[MemoryMessage]) -> list[int]:
    """Per message, the pipeline's marks it may keep: those the client did not set itself
    (1: extraction, 2: persisted_at); [] when none may."""
    flags = [
        ("discrete_memory_extracted" not in m.model_fields_set)
        + 2 * ("persisted_at" not in m.model_fields_set)
        for m in messages
    ]
    return flags if any(flags) else []


class SessionReplacer:
    def __init__(self, redis: Redis) -> None:
        self._script = redis.register_script(REPLACE_SESSION)

    async def __call__(
        self, key: str, marker: str, document: str, *, owner: str | None,
        bound_user: str | None, ttl_seconds: int | None, marker_seconds: int | None,
        may_keep: list[int], stored_window: bool, unextracted: int, pending: bool,
        work: list[int], promote: bool,
    ) -> Replaced:  # fmt: skip
        args: list[str | int] = [
            document, json.dumps([owner]), json.dumps([bound_user]),
            "" if ttl_seconds is None else ttl_seconds,
            "" if marker_seconds is None else marker_seconds,
            json.dumps(may_keep), "1" if stored_window else "0", unextracted,
            "1" if pending else "0", json.dumps(work), "1" if promote else "0",
        ]  # fmt: skip
        reply: list[Any] = await self._script(keys=[key, marker], args=args)
        if int(reply[0]):
            return Replaced(refused=int(reply[0]))
        created_at, window, marked, kept, cleared = reply[1:]
        return Replaced(
            created_at=json.loads(created_at) if created_at else None,
            window=int(window) if window else None,
            marked=bool(int(marked)),
            cleared=bool(int(cleared)),
            kept=[(int(i), p or None, bool(e)) for i, p, e in json.loads(kept)],
        )
