--[[
  Deletes a job that is not active.
  KEYS[1]: the queue's meta key; the others derive from it (see includes/queue.lua).
  ARGV[1..3] common; ARGV[4] local id.
  Returns: the job's state ('' when it does not exist); an active job is left as is.
]]
--@include queue
--@include groups
--@include retention
--@include unready
local lid = ARGV[4]
local jk = base .. lid
local f = redis.call('HMGET', jk, 's', 'g')
local state = f[1]
if not state then return '' end
if state == 'active' then return state end
if state == 'waiting' then unready(lid, f[2] or nil) end
local zsets = { delayed = KD, completed = KC, failed = KF, cancelled = KX }
removeJob(zsets[state] or KD, lid)
emit(lid, 'removed')
return state
