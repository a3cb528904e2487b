--[[
  Records the outcomes of active jobs (a batch: acks of one worker gathered in one tick), each fenced by
  its lease token, then claims the next jobs for that worker: complete-and-claim in one round trip.
  KEYS[1]: the queue's meta key; the others derive from it (see includes/queue.lua).
  ARGV[1..3] common; ARGV[4] completed max age ms, ARGV[5] completed keep count, ARGV[6] failed max age
  ms, ARGV[7] failed keep count, ARGV[8] claim count, ARGV[9] worker id, ARGV[10] lease ms,
  ARGV[11] rate limit max, ARGV[12] rate limit window ms, ARGV[13] number of outcomes, then 5 fields per
  outcome: local id, lease token, outcome (completed | failed | retry | cancelled | release),
  payload (result or error JSON, or ''), retry delay ms.
  Returns: { { state recorded per outcome ('' when its lease was lost) }, claim reply (see claim-1.lua) }.
]]
--@include queue
--@include groups
--@include ready
--@include retention
--@include claim
-- The queue's retention ages are read as numbers when a job first needs them (tonumber costs more than
-- a small command).
local completedAge, failedAge
local completedNone = ARGV[4] == '0' and ARGV[5] == '0'
local failedNone = ARGV[6] == '0' and ARGV[7] == '0'
local CANCELLED = '{"message":"cancelled","code":"E_JOB_CANCELLED"}'
local trimCompleted, trimFailed, trimCancelled = 0, 0, 0

local function finishOne(lid, token, outcome, payload, delay)
  local jk = base .. lid
  local f = redis.call('HMGET', jk, 'c', 'cx', 'g', 'pr', 'ik', 'kc', 'kf')
  if f[1] ~= token or redis.call('ZREM', KA, lid) == 0 then return '' end
  local group = f[3]
  -- A cancel request recorded before the outcome wins over it.
  if f[2] and outcome ~= 'release' then
    outcome = 'cancelled'
    if payload == '' then payload = CANCELLED end
  end
  local state = outcome
  if outcome == 'completed' then
    emit(lid, 'completed', payload)
    completedAge = completedAge or tonumber(ARGV[4])
    if keepFinished(KC, lid, f[6], completedAge, completedNone, f[5] or false) then
      redis.call('HSET', jk, 's', 'completed', 'r', payload, 'ft', nowText)
      trimCompleted = trimCompleted + 1
    end
  elseif outcome == 'failed' or outcome == 'cancelled' then
    emit(lid, outcome, payload)
    failedAge = failedAge or tonumber(ARGV[6])
    if keepFinished(outcome == 'failed' and KF or KX, lid, f[7], failedAge, failedNone, f[5] or false) then
      redis.call('HSET', jk, 's', outcome, 'e', payload, 'ft', nowText)
      if outcome == 'failed' then trimFailed = trimFailed + 1 else trimCancelled = trimCancelled + 1 end
    end
  elseif outcome == 'retry' then
    local runAt = now + tonumber(delay)
    local runAtText = int(runAt)
    if runAt > now then
      redis.call('HSET', jk, 's', 'delayed', 'ra', runAtText, 'e', payload)
      redis.call('ZADD', KD, runAtText, lid)
      if redis.call('ZRANGE', KD, '0', '0')[1] == lid then wake() end
      state = 'delayed'
    else
      redis.call('HSET', jk, 's', 'waiting', 'e', payload)
      makeReady(lid, f[4] or '0', group, false)
      state = 'waiting'
    end
    emit(lid, 'retrying', runAtText)
  else -- release: handed back unfinished (shutdown); it does not use up an attempt.
    redis.call('HINCRBY', jk, 'at', -1)
    redis.call('HSET', jk, 's', 'waiting')
    makeReady(lid, f[4] or '0', group, true)
    emit(lid, 'waiting')
    state = 'waiting'
  end
  if group then groups().release(group) end
  return state
end

local states = {}
local count = tonumber(ARGV[13])
for i = 0, count - 1 do
  local o = 13 + i * 5
  states[#states + 1] = finishOne(ARGV[o + 1], ARGV[o + 2], ARGV[o + 3], ARGV[o + 4], ARGV[o + 5])
end
-- Retention is applied a few jobs beyond what this batch added, so it keeps up with steady traffic.
if trimCompleted > 0 then trim(KC, tonumber(ARGV[5]), trimCompleted + 10) end
if trimFailed > 0 then trim(KF, tonumber(ARGV[7]), trimFailed + 10) end
if trimCancelled > 0 then trim(KX, tonumber(ARGV[7]), trimCancelled + 10) end
local next = claim(tonumber(ARGV[8]), ARGV[9], ARGV[10], ARGV[11], ARGV[12], false)
return { states, next }
