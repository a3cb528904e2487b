--[[
  Maintains one user's session index: a sorted set of session ids scored by an upper bound of their
  absolute expiry. Entries past that bound are pruned on every call, and the index itself expires with
  its last entry, so it never outlives the sessions it lists.
  KEYS[1]   the user's index
  ARGV[1]   session id to add, or '' for none
  ARGV[2]   its absolute lifetime from now, ms
  ARGV[3..] session ids to remove
  Returns how many entries are left.
]]
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if ARGV[1] ~= '' then redis.call('ZADD', key, now + tonumber(ARGV[2]), ARGV[1]) end
for i = 3, #ARGV do redis.call('ZREM', key, ARGV[i]) end
local left = redis.call('ZCARD', key)
if left == 0 then
  redis.call('DEL', key)
else
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', key, math.ceil(tonumber(last[2])))
end
return left
