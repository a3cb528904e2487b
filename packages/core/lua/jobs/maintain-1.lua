--[[
  Housekeeping any worker runs now and then: jobs whose lease expired go back to waiting (or end
  cancelled when cancellation was requested, or failed after too many stalls), due delayed jobs are
  promoted, and finished jobs past their retention are removed.
  KEYS[1]: the queue's meta key; the others derive from it (see includes/queue.lua).
  ARGV[1..3] common; ARGV[4] max stalls, ARGV[5] completed max age ms, ARGV[6] completed keep count,
  ARGV[7] failed max age ms, ARGV[8] failed keep count, ARGV[9] max jobs handled per step.
  Returns: { jobs recovered, jobs ended (cancelled or failed by stalls) }.
]]
--@include queue
--@include groups
--@include ready
--@include retention
local maxStalls = tonumber(ARGV[4])
local limit = tonumber(ARGV[9])
local failedAge, failedKeep = tonumber(ARGV[7]), tonumber(ARGV[8])
local failedNone = failedAge == 0 and failedKeep == 0
local recovered, ended = 0, 0
local expired = redis.call('ZRANGEBYSCORE', KA, '-inf', now, 'LIMIT', 0, limit)
for _, lid in ipairs(expired) do
  redis.call('ZREM', KA, lid)
  local jk = base .. lid
  local f = redis.call('HMGET', jk, 'cx', 'g', 'pr', 'kf')
  if f[1] then
    emit(lid, 'cancelled')
    if keepFinished(KX, lid, f[4], failedAge, failedNone) then
      redis.call('HSET', jk, 's', 'cancelled', 'ft', now, 'e', '{"message":"cancelled","code":"E_JOB_CANCELLED"}')
    end
    ended = ended + 1
  elseif redis.call('HINCRBY', jk, 'sc', 1) > maxStalls then
    local e = '{"message":"the job stalled more than ' .. maxStalls .. ' times","code":"E_JOB_STALLED"}'
    emit(lid, 'failed', e)
    if keepFinished(KF, lid, f[4], failedAge, failedNone) then
      redis.call('HSET', jk, 's', 'failed', 'ft', now, 'e', e)
    end
    ended = ended + 1
  else
    -- The lost attempt never reported; it does not count against the job's attempts.
    redis.call('HINCRBY', jk, 'at', -1)
    redis.call('HSET', jk, 's', 'waiting')
    makeReady(lid, f[3] or '0', f[2], true)
    emit(lid, 'stalled')
    recovered = recovered + 1
  end
  if f[2] then groups().release(f[2]) end
end
promoteDelayed(limit)
trim(KC, tonumber(ARGV[6]), limit)
trim(KF, failedKeep, limit)
trim(KX, failedKeep, limit)
return { recovered, ended }
