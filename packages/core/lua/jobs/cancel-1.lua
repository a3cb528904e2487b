--[[
  Cancels a job: a waiting or delayed one at once; an active one is flagged, its worker told over pub/sub
  and its lease cut to the grace period so it ends cancelled even if that worker hangs or died.
  KEYS[1]: the queue's meta key; the others derive from it (see includes/queue.lua).
  ARGV[1..3] common; ARGV[4] local id, ARGV[5] grace ms, ARGV[6] pub/sub channel of the queue,
  ARGV[7] failed max age ms, ARGV[8] failed keep count (the queue's retention of cancelled jobs).
  Returns: the job's state after the call ('' when the job does not exist).
]]
--@include queue
--@include groups
--@include retention
--@include unready
local lid = ARGV[4]
local jk = base .. lid
local f = redis.call('HMGET', jk, 's', 'g', 'cx', 'kf')
local state = f[1]
if not state then return '' end
local function toCancelled(removed)
  if removed == 0 then return state end
  local e = '{"message":"cancelled","code":"E_JOB_CANCELLED"}'
  emit(lid, 'cancelled', e)
  local failedAge, failedKeep = tonumber(ARGV[7]), tonumber(ARGV[8])
  if keepFinished(KX, lid, f[4], failedAge, failedAge == 0 and failedKeep == 0) then
    redis.call('HSET', jk, 's', 'cancelled', 'ft', now, 'e', e)
    trim(KX, failedKeep, 10)
  end
  return 'cancelled'
end
if state == 'waiting' then
  return toCancelled(unready(lid, f[2] or nil) and 1 or 0)
elseif state == 'delayed' then
  return toCancelled(redis.call('ZREM', KD, lid))
elseif state == 'active' then
  if not f[3] then
    local deadline = now + tonumber(ARGV[5])
    redis.call('HSET', jk, 'cx', '1', 'cd', deadline)
    local current = redis.call('ZSCORE', KA, lid)
    if current and tonumber(current) > deadline then redis.call('ZADD', KA, 'XX', deadline, lid) end
    redis.call('PUBLISH', ARGV[6], lid)
    emit(lid, 'cancelling')
  end
  return 'active'
end
return state
