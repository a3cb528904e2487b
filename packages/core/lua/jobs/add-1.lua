--[[
  Adds jobs (one or a bulk) to a queue.
  KEYS[1]: the queue's meta key; the others derive from it (see includes/common.lua).
  ARGV[1..3] common; ARGV[4] number of jobs; then 12 fields per job:
    local id, task name, data (JSON), priority, max attempts, backoff (JSON or ''), timeout ms,
    delay ms (0 = now), idempotency key (or ''), group (or ''), the job's own retention once completed
    and once failed or cancelled (ms, 0 = none, -1 = forever; '' = the queue's).
  Returns: the local id of each job, in order (an existing job's id when its idempotency key is known).
]]
--@include common
local count = tonumber(ARGV[4])
local ids = {}
local anyReady = false
for i = 0, count - 1 do
  local o = 4 + i * 12
  local lid, name, data = ARGV[o + 1], ARGV[o + 2], ARGV[o + 3]
  local priority, maxAttempts = tonumber(ARGV[o + 4]), ARGV[o + 5]
  local backoff, timeout, runAt = ARGV[o + 6], ARGV[o + 7], now + tonumber(ARGV[o + 8])
  local ik, group = ARGV[o + 9], ARGV[o + 10]
  local existing = nil
  if ik ~= '' then
    existing = redis.call('HGET', KI, ik)
    if existing and redis.call('EXISTS', base .. existing) == 0 then existing = nil end
  end
  if existing then
    ids[#ids + 1] = existing
  else
    local jk = base .. lid
    local delayed = runAt > now
    local fields = { 'n', name, 'd', data, 't', nowText, 's', delayed and 'delayed' or 'waiting' }
    -- Defaults are left out of the hash: a small job costs fewer bytes per waiting job.
    local function put(field, value)
      fields[#fields + 1] = field
      fields[#fields + 1] = value
    end
    if priority > 0 then put('pr', priority) end
    if maxAttempts ~= '1' then put('ma', maxAttempts) end
    if backoff ~= '' then put('bo', backoff) end
    if timeout ~= '0' then put('to', timeout) end
    if ik ~= '' then
      put('ik', ik)
      redis.call('HSET', KI, ik, lid)
    end
    if group ~= '' then put('g', group) else group = nil end
    local runAtText = delayed and int(runAt)
    if delayed then put('ra', runAtText) end
    if ARGV[o + 11] ~= '' then put('kc', ARGV[o + 11]) end
    if ARGV[o + 12] ~= '' then put('kf', ARGV[o + 12]) end
    redis.call('HSET', jk, unpack(fields))
    if delayed then
      redis.call('ZADD', KD, runAtText, lid)
      local first = redis.call('ZRANGE', KD, 0, 0)[1]
      -- An idle worker sleeps until the earliest delayed job; wake it when this one is earlier.
      if first == lid then wake() end
      emit(lid, 'delayed', runAtText)
    else
      makeReady(lid, priority, group, false, true)
      anyReady = true
      emit(lid, 'waiting')
    end
    ids[#ids + 1] = lid
  end
end
-- Jobs no idle loop took wake a worker blocked on the marker; when an idle loop was left with free
-- slots, nothing claimable is left and no wake-up is needed.
if anyReady and not handOff() then
  if redis.call('LLEN', KW) > 0 or redis.call('ZCARD', KP) > 0 or redis.call('ZCARD', KG) > 0 then wake() end
end
return ids
