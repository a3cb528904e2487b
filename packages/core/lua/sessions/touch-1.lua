--[[
  Slides a session's idle expiry without rewriting its data, capped by its absolute expiry.
  KEYS[1]   the session hash
  ARGV[1]   idle timeout, ms
  Returns the new expiry (ms since the epoch), or -1 when the session is absent.
]]
local absolute = redis.call('HGET', KEYS[1], '_a')
if not absolute then return -1 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiresAt = math.min(now + tonumber(ARGV[1]), tonumber(absolute))
redis.call('PEXPIREAT', KEYS[1], expiresAt)
if expiresAt <= now then return -1 end
return expiresAt
