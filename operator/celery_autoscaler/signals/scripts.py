"""Lua run inside Redis so a poll stays one round trip and small, however big `unacked` is.

`unacked` holds every delivered-but-unacked message (tens of thousands in a retry storm, each
with its body). Shipping them all to the operator to parse JSON costs megabytes per poll;
instead Redis groups them by (queue, ETA to the second, is-a-retry) and returns the counts.
The routing key is the last JSON string of each value, and the headers precede the base64
body, so plain pattern matches find them without decoding the whole message.
"""

UNACKED_SUMMARY = r"""
local groups = {}
local vals = redis.call('HVALS', KEYS[1])
for i = 1, #vals do
  local v = vals[i]
  local rk = string.match(string.sub(v, -512), '"([^"]*)"%s*%]%s*$') or ''
  local eta = string.match(v, '"eta":%s*"([^"]+)"') or ''
  eta = string.gsub(eta, '%.%d+', '')
  local retries = tonumber(string.match(v, '"retries":%s*(%d+)') or '0')
  local key = rk .. '\0' .. eta .. '\0' .. (retries > 0 and '1' or '0')
  groups[key] = (groups[key] or 0) + 1
end
local out = {}
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
