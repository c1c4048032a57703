"""The long-term store's small Lua scripts (storage/long_term.py registers or sends them;
the keyword page's script is in storage/keyword_page.py)."""

HSET_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSET', KEYS[1], unpack(ARGV))
"""
# The access hashes of records as they were, then (when ARGV[1] is a time) the access of each
# recorded: one script call for a search page (its keys in one slot; on a cluster, one call
# per record).
READ_ACCESSES_AND_TOUCH = """
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('HGETALL', key)
  if ARGV[1] ~= '' then
    redis.call('HSET', key, 'last_accessed', ARGV[1])
    redis.call('HINCRBY', key, 'access_count', 1)
  end
end
return out
"""

# Delete a dedup pointer only if it still points at the record being removed.
DROP_POINTER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
