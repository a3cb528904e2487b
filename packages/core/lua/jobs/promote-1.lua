--[[
  Runs a delayed job now (a delay, a run time or a retry's backoff not yet over): it becomes waiting,
  after the jobs already waiting at its priority or in its group, as when its time comes.
  KEYS[1]: the queue's meta key; the others derive from it (see includes/queue.lua).
  ARGV[1..3] common; ARGV[4] local id.
  Returns: the job's state before the call ('' when it does not exist); it moved only if delayed.
]]
--@include queue
--@include groups
--@include ready
local lid = ARGV[4]
local jk = base .. lid
local f = redis.call('HMGET', jk, 's', 'pr', 'g')
local state = f[1]
if not state then return '' end
if state == 'delayed' then
  redis.call('ZREM', KD, lid)
  redis.call('HSET', jk, 's', 'waiting', 'ra', nowText)
  makeReady(lid, f[2] or '0', f[3], false)
  emit(lid, 'waiting')
end
return state
