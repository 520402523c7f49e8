"""Lua run inside Redis so a poll stays one round trip and small, however big `unacked` is.

`unacked` holds every delivered-but-unacked message (tens of thousands in a retry storm, each
with its body). Shipping them all to the operator to parse JSON costs megabytes per poll;
instead Redis groups them by (queue, ETA to the second, is-a-retry) and returns the counts.
The routing key is the last JSON string of each value, and the headers precede the base64
body, so plain finds locate them without decoding the whole message.

Up to ARGV[1] entries the count is exact. Above it, reading every entry would block Redis
(and every worker) for a time that grows with the hash, so the script reads a uniform sample
of ARGV[1] entries (HRANDFIELD) and the probe scales the counts by total/sampled. The reply
starts with the total and the number read.
"""

UNACKED_SUMMARY = r"""
local groups = {}
local total = redis.call('HLEN', KEYS[1])
local limit = tonumber(ARGV[1])
local vals
if total <= limit then
  vals = redis.call('HVALS', KEYS[1])
else
  local sample = redis.call('HRANDFIELD', KEYS[1], limit, 'WITHVALUES')
  vals = {}
  for i = 2, #sample, 2 do
    vals[#vals + 1] = sample[i]
  end
end
for i = 1, #vals do
  local v = vals[i]
  -- plain finds run in C (memchr); patterns only on the few bytes after a hit
  local rk = string.match(string.sub(v, -256), '"([^"]*)"%]$') or ''
  local eta = ''
  local at = string.find(v, '"eta": "', 1, true)
  if at then
    eta = string.sub(v, at + 8, at + 26) .. (string.match(v, '([+-]%d%d:%d%d)"', at + 27) or '')
  end
  local retry = '0'
  local r = string.find(v, '"retries": ', 1, true)
  if r and string.sub(v, r + 11, r + 11) ~= '0' then
    retry = '1'
  end
  local key = rk .. '\0' .. eta .. '\0' .. retry
  groups[key] = (groups[key] or 0) + 1
end
local out = {total, #vals}
for k, n in pairs(groups) do
  out[#out + 1] = k
  out[#out + 1] = n
end
return out
"""

WORKERS_SUMMARY = r"""
local hosts = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')
local out = {}
for i = 1, #hosts do
  local f = redis.call('HMGET', ARGV[2] .. hosts[i], 'queues', 'state', 'active')
  out[#out + 1] = hosts[i]
  out[#out + 1] = f[1] or ''
  out[#out + 1] = f[2] or ''
  out[#out + 1] = f[3] or '0'
end
return out
"""

# KEYS: the fresh-arrivals hash of each queue; ARGV[1]: complete seconds to read. Seconds are
# Redis's own clock, the one the relay writes by. Per queue: the count of the current second so
# far, then those of the complete seconds, newest first; or -1 when the hash does not exist
# (the counter is not kept for that queue: unknown). The current second counts as it stands:
# a burst that began in it is seen by this poll, however early in the second the poll falls.
FRESH_ARRIVALS = r"""
local now = tonumber(redis.call('TIME')[1])
local window = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    local counts = {}
    for back = 0, window do
      counts[back + 1] = tonumber(redis.call('HGET', key, tostring(now - back)) or '0')
    end
    out[i] = counts
  else
    out[i] = -1
  end
end
return out
"""
