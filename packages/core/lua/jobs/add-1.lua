--[[
  Adds jobs (one or a bulk) to a queue.
  KEYS[1]: the queue's meta key; the others derive from it (see includes/queue.lua).
  ARGV[1..3] common; ARGV[4] number of jobs; then 12 fields per job:
    local id, task name, data (JSON), priority, max attempts, backoff (JSON or ''), timeout ms,
    delay ms (0 = now), idempotency key (or ''), group (or ''), the job's own retention once completed
    and once failed or cancelled (ms, 0 = none, -1 = forever; '' = the queue's).
  Returns: the local id of each job, in order (an existing job's id when its idempotency key is known).
]]
--@include queue
--@include groups
--@include ready
--@include claim
--@include handoff
local count = tonumber(ARGV[4])
local ids = {}
local anyReady = false
-- Local id -> ARGV offset of each job this run made ready, so a hand-off need not read them back.
local readyAt = {}
for i = 0, count - 1 do
  local o = 4 + i * 12
  local lid, name, data = ARGV[o + 1], ARGV[o + 2], ARGV[o + 3]
  local priority, maxAttempts = ARGV[o + 4], ARGV[o + 5]
  local backoff, timeout, delayMs = ARGV[o + 6], ARGV[o + 7], ARGV[o + 8]
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
    local delayed = delayMs ~= '0' and tonumber(delayMs) > 0
    local fields = { 'n', name, 'd', data, 't', nowText, 's', delayed and 'delayed' or 'waiting' }
    -- Defaults are left out of the hash: a small job costs fewer bytes per waiting job. (Appended in
    -- place: a helper function would be a closure made anew for every job of a bulk.)
    local n = 8
    if priority ~= '0' then fields[n + 1], fields[n + 2], n = 'pr', priority, n + 2 end
    if maxAttempts ~= '1' then fields[n + 1], fields[n + 2], n = 'ma', maxAttempts, n + 2 end
    if backoff ~= '' then fields[n + 1], fields[n + 2], n = 'bo', backoff, n + 2 end
    if timeout ~= '0' then fields[n + 1], fields[n + 2], n = 'to', timeout, n + 2 end
    if ik ~= '' then
      fields[n + 1], fields[n + 2], n = 'ik', ik, n + 2
      redis.call('HSET', KI, ik, lid)
    end
    if group ~= '' then fields[n + 1], fields[n + 2], n = 'g', group, n + 2 else group = nil end
    local runAtText = delayed and int(now + tonumber(delayMs))
    if delayed then fields[n + 1], fields[n + 2], n = 'ra', runAtText, n + 2 end
    if ARGV[o + 11] ~= '' then fields[n + 1], fields[n + 2], n = 'kc', ARGV[o + 11], n + 2 end
    if ARGV[o + 12] ~= '' then fields[n + 1], fields[n + 2], n = 'kf', ARGV[o + 12], n + 2 end
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
      readyAt[lid] = o
      emit(lid, 'waiting')
    end
    ids[#ids + 1] = lid
  end
end
if anyReady then
  -- What a claim would read of a job made ready above (see claim), from this run's arguments.
  local function known(lid)
    local o = readyAt[lid]
    if not o then return nil end
    local maxAttempts, backoff, timeout, group = ARGV[o + 5], ARGV[o + 6], ARGV[o + 7], ARGV[o + 10]
    return {
      ARGV[o + 2], ARGV[o + 3], maxAttempts ~= '1' and maxAttempts, backoff ~= '' and backoff,
      timeout ~= '0' and timeout, nowText, group ~= '' and group, false, false,
    }
  end
  -- Jobs no idle loop took wake a worker blocked on the marker; when an idle loop was left with free
  -- slots, nothing claimable is left and no wake-up is needed.
  if not handOff(known) and redis.call('EXISTS', KW, KP, KG) > 0 then wake() end
end
return ids
