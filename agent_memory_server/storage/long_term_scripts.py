"""The long-term store's small Lua scripts (storage/long_term.py registers or sends them;
the keyword page's script is in storage/keyword_page.py)."""

HSET_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSET', KEYS[1], unpack(ARGV))
"""
# A record's access hash as it was, then the access recorded: one command a record, where
# HGETALL + HSET + HINCRBY were three (a search page of 10 sent 40 commands, now 20).
READ_ACCESS_AND_TOUCH = """
local before = redis.call('HGETALL', KEYS[1])
redis.call('HSET', KEYS[1], 'last_accessed', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'access_count', 1)
return before
"""

# Delete a dedup pointer only if it still points at the record being removed.
DROP_POINTER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
