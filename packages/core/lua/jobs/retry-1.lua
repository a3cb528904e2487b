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
--@include rerun
local lid = ARGV[4]
local f = redis.call('HMGET', base .. lid, 's', 'pr', 'g')
local state = f[1]
if not state then return '' end
if state == 'failed' or state == 'cancelled' then rerun(lid, state == 'failed' and KF or KX, f[2], f[3], false) end
return state
