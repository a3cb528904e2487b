--[[
  Puts a failed or cancelled job back to waiting with a fresh set of attempts.
  KEYS[1]: the queue's meta key; the others derive from it (see includes/queue.lua).
  ARGV[1..3] common; ARGV[4] local id.
  Returns: the job's state before the call ('' when it does not exist); it moved only if failed/cancelled.
]]
--@include queue
--@include groups
--@include ready
--@include retention
local lid = ARGV[4]
local jk = base .. lid
local f = redis.call('HMGET', jk, 's', 'pr', 'g')
local state = f[1]
if not state then return '' end
if state == 'failed' or state == 'cancelled' then
  redis.call('ZREM', state == 'failed' and KF or KX, lid)
  redis.call('HDEL', jk, 'e', 'ft', 'cx', 'cd', 'sc', 'r', 'pg')
  redis.call('HSET', jk, 's', 'waiting', 'at', 0)
  makeReady(lid, f[2] or '0', f[3], false)
  emit(lid, 'waiting')
end
return state
