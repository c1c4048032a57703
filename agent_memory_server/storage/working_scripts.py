"""The working-memory store's Lua scripts: each a guarded read-modify-write of one session's
JSON document (storage/working.py registers them)."""

# Replace the first `count` messages by a summary, only if they are still the ones the
# summary was made from and the context is still the one it extends (else return 0).
FOLD_SCRIPT = """
local key = KEYS[1]
local count = tonumber(ARGV[1])
if redis.call('EXISTS', key) == 0 then return 0 end
local first = redis.call('JSON.GET', key, '$.messages[0].id')
local last = redis.call('JSON.GET', key, '$.messages[' .. (count - 1) .. '].id')
if first ~= ARGV[2] or last ~= ARGV[3] then return 0 end
local context = redis.call('JSON.GET', key, '$.context')
if context ~= ARGV[4] then return 0 end
redis.call('JSON.ARRTRIM', key, '$.messages', count, -1)
redis.call('JSON.SET', key, '$.context', ARGV[5])
redis.call('JSON.NUMINCRBY', key, '$.tokens', ARGV[6])
return 1
"""


# Set a field on the items of an array whose id is in a list (ids may hold any character,
# which JSONPath filter expressions cannot quote).
MARK_SCRIPT = """
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return 0 end
local wanted = {}
for _, id in ipairs(cjson.decode(ARGV[4])) do wanted[id] = true end
local ids = cjson.decode(redis.call('JSON.GET', key, '$.' .. ARGV[1] .. '[*].id'))
local marked = 0
for i, id in ipairs(ids) do
  if wanted[id] then
    redis.call('JSON.SET', key, '$.' .. ARGV[1] .. '[' .. (i - 1) .. '].' .. ARGV[2], ARGV[3])
    marked = marked + 1
  end
end
return marked
"""

# Read a session and record the access in the same step; returns the document as it was read.
# The access (last_accessed; a TTL renewed) is recorded when ARGV[1] is '*', or '=' and the
# session's user_id is ARGV[2]; '-' only reads.
READ_AND_TOUCH = """
local doc = redis.call('JSON.GET', KEYS[1])
if not doc or ARGV[1] == '-' then return doc end
if ARGV[1] == '=' and cjson.decode(redis.call('JSON.GET', KEYS[1], '$.user_id'))[1] ~= ARGV[2] then
  return doc
end
redis.call('JSON.SET', KEYS[1], '$.last_accessed', ARGV[3], 'XX')
local ttl = cjson.decode(redis.call('JSON.GET', KEYS[1], '$.ttl_seconds'))[1]
if type(ttl) == 'number' then redis.call('EXPIRE', KEYS[1], ttl) end
return doc
"""

SET_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('JSON.SET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""
