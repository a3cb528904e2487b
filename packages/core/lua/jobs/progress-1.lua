--[[
  Stores an active job's progress and publishes it as an event, fenced by the lease token.
  KEYS[1]: the queue's meta key; the others derive from it (see includes/queue.lua).
  ARGV[1..3] common; ARGV[4] local id, ARGV[5] lease token, ARGV[6] progress JSON.
  Returns: 1 stored, 0 lease lost.
]]
--@include queue
local lid = ARGV[4]
local jk = base .. lid
if redis.call('HGET', jk, 'c') ~= ARGV[5] or not redis.call('ZSCORE', KA, lid) then return 0 end
redis.call('HSET', jk, 'pg', ARGV[6])
emit(lid, 'progress', ARGV[6])
return 1
