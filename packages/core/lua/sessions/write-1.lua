--[[
  Writes a whole session: creates it, or replaces its data keeping its creation time.
  KEYS[1]   the session hash
  ARGV[1]   'create' (refuse an existing session) or 'replace'
  ARGV[2]   idle timeout, ms
  ARGV[3]   absolute lifetime, ms
  ARGV[4]   user id as a JSON string, '' for none
  ARGV[5]   bytes of the data fields (kept in _b for later patches)
  ARGV[6..8] createdAt, absoluteExpiresAt, version to restore, or '' '' '' for fresh ones
  ARGV[9..] data field, JSON, data field, JSON, ...
  Returns {1, expiresAt, previous user id (JSON) or '', version, createdAt, absoluteExpiresAt} when written,
          {2} when mode is 'create' and the session exists, {3} when a restored session is past its lifetime.
]]
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local old = redis.call('HMGET', key, '_v', '_c', '_a', '_u')
local exists = old[1] ~= false
if exists and ARGV[1] == 'create' then return {2} end

local createdAt, absolute, version
if ARGV[6] ~= '' then
  createdAt, absolute, version = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
elseif exists then
  createdAt, absolute, version = tonumber(old[2]), tonumber(old[3]), tonumber(old[1]) + 1
else
  createdAt, absolute, version = now, now + tonumber(ARGV[3]), 1
end
local expiresAt = math.min(now + tonumber(ARGV[2]), absolute)
if expiresAt <= now then return {3} end

if exists then redis.call('DEL', key) end
local meta = {'_v', version, '_c', createdAt, '_a', absolute, '_b', ARGV[5]}
if ARGV[4] ~= '' then
  meta[#meta + 1] = '_u'
  meta[#meta + 1] = ARGV[4]
end
redis.call('HSET', key, unpack(meta))
-- In chunks: unpack() of thousands of arguments would overflow Lua's C stack.
for first = 9, #ARGV, 200 do
  redis.call('HSET', key, unpack(ARGV, first, math.min(first + 199, #ARGV)))
end
redis.call('PEXPIREAT', key, expiresAt)
return {1, expiresAt, old[4] or '', version, createdAt, absolute}
