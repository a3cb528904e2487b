--[[
  Moves a session to a new id atomically: same data and lifetimes, version + 1, the old key gone.
  Both keys carry the same hash tag, so they share a Cluster slot.
  KEYS[1]   the old session hash
  KEYS[2]   the new session hash
  ARGV[1]   idle timeout, ms
  ARGV[2]   'keep', 'clear' or 'set' the user
  ARGV[3]   the user id for 'set', as a JSON string
  Returns {1, expiresAt, previous user id (JSON) or '', {field, value, ...}} when moved,
          {0} when the old session is absent, {2} when the new id is taken.
]]
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return {0} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {2} end

local previous, absolute, version = '', 0, 0
local moved = {}
for i = 1, #fields, 2 do
  local field, value = fields[i], fields[i + 1]
  if field == '_u' then
    previous = value
  elseif field == '_v' then
    version = tonumber(value)
  else
    if field == '_a' then absolute = tonumber(value) end
    moved[#moved + 1] = field
    moved[#moved + 1] = value
  end
end
moved[#moved + 1] = '_v'
moved[#moved + 1] = tostring(version + 1)
local user = previous
if ARGV[2] == 'clear' then user = '' elseif ARGV[2] == 'set' then user = ARGV[3] end
if user ~= '' then
  moved[#moved + 1] = '_u'
  moved[#moved + 1] = user
end

for first = 1, #moved, 200 do
  redis.call('HSET', KEYS[2], unpack(moved, first, math.min(first + 199, #moved)))
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiresAt = math.min(now + tonumber(ARGV[1]), absolute)
redis.call('PEXPIREAT', KEYS[2], expiresAt)
redis.call('DEL', KEYS[1])
return {1, expiresAt, previous, moved}
