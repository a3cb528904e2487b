--[[
  Merges top-level data fields into a session, optionally only at an expected version, and slides its
  idle expiry (capped by the absolute one).
  KEYS[1]   the session hash
  ARGV[1]   expected version, or '' for any
  ARGV[2]   idle timeout, ms
  ARGV[3]   max bytes of data fields
  ARGV[4]   n: how many fields are set
  ARGV[5 .. 4+2n]  field, JSON pairs to set; the ARGV after them: fields to remove
  Returns {1, version, expiresAt} when applied, {0} when the session is absent,
          {2, version} on a version mismatch, {3, bytes} when the result would pass max bytes.
]]
local key = KEYS[1]
local meta = redis.call('HMGET', key, '_v', '_a', '_b')
if not meta[1] then return {0} end
local version = tonumber(meta[1])
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= version then return {2, version} end

local bytes = tonumber(meta[3]) or 0
local last = 4 + 2 * tonumber(ARGV[4])
for i = 5, last, 2 do
  local previous = redis.call('HSTRLEN', key, ARGV[i])
  if previous > 0 then bytes = bytes - #ARGV[i] - previous end
  bytes = bytes + #ARGV[i] + #ARGV[i + 1]
end
for i = last + 1, #ARGV do
  local previous = redis.call('HSTRLEN', key, ARGV[i])
  if previous > 0 then bytes = bytes - #ARGV[i] - previous end
end
if bytes > tonumber(ARGV[3]) then return {3, bytes} end

for i = 5, last, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
for i = last + 1, #ARGV do redis.call('HDEL', key, ARGV[i]) end
version = version + 1
redis.call('HSET', key, '_v', version, '_b', bytes)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiresAt = math.min(now + tonumber(ARGV[2]), tonumber(meta[2]))
redis.call('PEXPIREAT', key, expiresAt)
return {1, version, expiresAt}
