--[[
  Appends lines to an active job's own log (a list beside its hash), fenced by the lease token, and keeps
  the newest ARGV[6]. The log goes with the job (includes/retention.lua removeJob).
  KEYS[1]: the queue's meta key; the others derive from it (see includes/queue.lua).
  ARGV[1..3] common; ARGV[4] local id, ARGV[5] lease token, ARGV[6] lines kept, ARGV[7..] the lines (JSON).
  Returns: 1 appended, 0 lease lost (nothing written).
]]
--@include queue
local lid = ARGV[4]
if redis.call('HGET', base .. lid, 'c') ~= ARGV[5] or not redis.call('ZSCORE', KA, lid) then return 0 end
local logKey = queuePrefix .. 'l:' .. lid
local keep = tonumber(ARGV[6])
if redis.call('RPUSH', logKey, unpack(ARGV, 7)) > keep then redis.call('LTRIM', logKey, -keep, -1) end
return 1
