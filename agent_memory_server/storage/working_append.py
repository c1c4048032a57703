"""Append to a session in one round trip: one Lua script checks the stored session's owner,
creates the session if it is missing, appends the messages, counts their tokens, records the
update, renews the TTL, sets the window a request names and the queued-run marker
(storage/working.py `append`).

It was a read of the stored owner, context and window, a MULTI of the append and the marker,
and a write of the window when the request named another: two or three round trips, each a
wait for the Redis process on a loaded machine. Both keys are in the session's hash slot on
a cluster (storage/keys.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

# KEYS: the session, its queued-run marker.
# ARGV: 1 the session to create if it is missing (JSON); 2 [the writer's user_id] (JSON);
# 3 [the user a bound caller is confined to, or null] (JSON); 4 the tokens to add; 5 updated_ts,
# 6 updated_at, 7 last_accessed (JSON values); 8 the new context (JSON) or ''; 9 the TTL or '';
# 10 the marker's seconds or '' (no marker); 11 the window the request names or ''; 12... the
# messages (JSON, one each).
# Reply: {0, created, tokens, window, marked}: window is the stored one ('' for none), before
# this append. {1}: the caller may not write the stored session (another user's, for a caller
# confined to a user); {2}: another user's session.
APPEND_SESSION = """
local key = KEYS[1]
local created, window = 0, ''
if redis.call('EXISTS', key) == 1 then
  local user = cjson.decode(redis.call('JSON.GET', key, '$.user_id'))[1]
  if user == nil then user = cjson.null end
  local bound = cjson.decode(ARGV[3])[1]
  if bound ~= cjson.null and user ~= bound then return {1} end
  local writer = cjson.decode(ARGV[2])[1]
  if user ~= cjson.null and writer ~= cjson.null and user ~= writer then return {2} end
  window = string.sub(redis.call('JSON.GET', key, '$.context_window_max'), 2, -2)
  if window == 'null' then window = '' end
else
  redis.call('JSON.SET', key, '$', ARGV[1])
  created = 1
end
if #ARGV >= 12 then redis.call('JSON.ARRAPPEND', key, '$.messages', unpack(ARGV, 12)) end
local tokens = cjson.decode(redis.call('JSON.NUMINCRBY', key, '$.tokens', ARGV[4]))[1]
redis.call('JSON.SET', key, '$.updated_ts', ARGV[5])
redis.call('JSON.SET', key, '$.updated_at', ARGV[6])
redis.call('JSON.SET', key, '$.last_accessed', ARGV[7])
if ARGV[8] ~= '' then redis.call('JSON.SET', key, '$.context', ARGV[8]) end
if ARGV[9] ~= '' then
  redis.call('JSON.SET', key, '$.ttl_seconds', ARGV[9])
  redis.call('EXPIRE', key, ARGV[9])
end
if created == 0 and ARGV[11] ~= '' and ARGV[11] ~= window then
  redis.call('JSON.SET', key, '$.context_window_max', ARGV[11])
end
local marked = 0
if ARGV[10] ~= '' and redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[10]) then marked = 1 end
return {0, created, tokens, window, marked}
"""


@dataclass(frozen=True)
class AppendResult:
    created: bool = False
    tokens: int = 0
    queued: bool = False  # the queued-run marker was set by this append
    window: int | None = None  # the stored session's window before the append
    refused: int = 0  # working_replace.FORBIDDEN or CONFLICT: nothing was written


class SessionAppender:
    def __init__(self, redis: Redis) -> None:
        self._script = redis.register_script(APPEND_SESSION)

    async def __call__(
        self, key: str, marker: str, fresh: dict[str, Any], messages: Sequence[dict[str, Any]],
        *, writer: str | None, bound_user: str | None, tokens: int, times: Sequence[Any],
        context: str | None, ttl_seconds: int | None, marker_seconds: int | None,
        window: int | None,
    ) -> AppendResult:  # fmt: skip
        """`times`: updated_ts, updated_at, last_accessed."""
        args: list[str | int] = [
            json.dumps(fresh), json.dumps([writer]), json.dumps([bound_user]), tokens,
            *(json.dumps(t) for t in times), "" if context is None else json.dumps(context),
            "" if ttl_seconds is None else ttl_seconds,
            "" if marker_seconds is None else marker_seconds, "" if window is None else window,
            *(json.dumps(m) for m in messages),
        ]  # fmt: skip
        reply: list[Any] = await self._script(keys=[key, marker], args=args)
        if int(reply[0]):
            return AppendResult(refused=int(reply[0]))
        _, created, tokens_now, stored_window, marked = reply
        return AppendResult(
            created=bool(int(created)), tokens=int(tokens_now), queued=bool(int(marked)),
            window=int(stored_window) if stored_window else None,
        )  # fmt: skip
