--[[
  Shared prelude of every jobs script (the loader in src/jobs/scripts.ts pastes it in place of the
  `--@include common` line). Every script receives one key, KEYS[1], the queue's meta hash
  `<prefix>:j:{queue}:m`, and derives the queue's other keys from it (same hash tag, so one Cluster slot;
  sending 14 key names with every call cost the worker measurable time per call):
    m meta (hash: paused, seq, gw, gw:<group>)   w waiting list (priority 0)   p prioritized zset
    d delayed zset (score runAt)    a active zset (score = lease deadline)
    c completed zset (score expiry) f failed zset (score expiry) x cancelled zset (score expiry)
    e events stream                 k wake-up marker list       i idempotency hash
    G ready groups zset             ga active count per group   rl rate-limit counter
  and the same first three arguments:
    ARGV[1] prefix of job hashes (`<prefix>:j:{queue}:`), ARGV[2] events stream cap, ARGV[3] group concurrency.
  Job hash fields: n name, d data, s state, t created, pr priority, ma max attempts, bo backoff, to timeout,
  ra runAt, st started, ft finished, r result, e error, pg progress, w worker, c claim counter (lease token),
  at attempts, sc stalls, cx cancel requested, cd cancel deadline, ik idempotency key, g group,
  kc / kf the job's own retention once completed / once failed or cancelled (ms; 0 = none, -1 = forever).
]]
local KM = KEYS[1]
local queuePrefix = string.sub(KM, 1, -2)
local KW, KP, KD, KA, KC, KF, KX, KE, KK, KI, KG, KGA, KRL =
  queuePrefix .. 'w', queuePrefix .. 'p', queuePrefix .. 'd', queuePrefix .. 'a', queuePrefix .. 'c',
  queuePrefix .. 'f', queuePrefix .. 'x', queuePrefix .. 'e', queuePrefix .. 'k', queuePrefix .. 'i',
  queuePrefix .. 'G', queuePrefix .. 'ga', queuePrefix .. 'rl'
local base = ARGV[1]
local eventsMax = ARGV[2]
local groupLimit = tonumber(ARGV[3])
-- The clock in ms, as a number and as text. Redis 7.0 writes a number passed to redis.call as text with
-- printf("%.17g"), and Lua's `..` does the same with "%.14g": some 4,000 instructions for a 13-digit
-- timestamp, more than many a command costs. So `nowText` is cut from TIME's own digits, `int` writes
-- a computed integer with "%d" (half the price), and the hot paths pass text.
local now, nowText = (function()
  local t = redis.call('TIME')
  local us = t[2]
  local ms = #us > 3 and string.sub(us, 1, -4) or '0'
  ms = string.rep('0', 3 - #ms) .. ms
  return tonumber(t[1]) * 1000 + tonumber(ms), t[1] .. ms
end)()
local function int(n) return string.format('%d', n) end

-- Priorities 1..1000 sort before 0 (the plain list); within one priority, first in first out.
local PRIORITY_SPAN = 1099511627776 -- 2^40

-- Final events also go to the channel `<job hash prefix>done` as `lid \n event \n data`: a process
-- waiting for results then wakes for those only, not for every event of the queue (PUBLISH with no
-- subscriber costs next to nothing).
local FINAL = { completed = true, failed = true, cancelled = true, removed = true }

local function emit(lid, event, data)
  if data then
    redis.call('XADD', KE, 'MAXLEN', '~', eventsMax, '*', 'j', lid, 'e', event, 'd', data)
  else
    redis.call('XADD', KE, 'MAXLEN', '~', eventsMax, '*', 'j', lid, 'e', event)
  end
  if FINAL[event] then redis.call('PUBLISH', base .. 'done', lid .. '\n' .. event .. '\n' .. (data or '')) end
end

-- One marker wakes one idle worker blocked on BLPOP; more than one would only cause empty claims.
local function wake()
  if redis.call('LLEN', KK) == 0 then redis.call('RPUSH', KK, '1') end
end

local function groupKey(group) return base .. 'g:' .. group end

-- Waiting grouped jobs are counted in meta: `gw` for all groups (counts()) and `gw:<group>` per group,
-- so a listing finds the groups' lists without scanning keys.
local function countGroupWaiting(group, delta)
  redis.call('HINCRBY', KM, 'gw', delta)
  if redis.call('HINCRBY', KM, 'gw:' .. group, delta) <= 0 then redis.call('HDEL', KM, 'gw:' .. group) end
end

local function groupActive(group) return tonumber(redis.call('HGET', KGA, group) or '0') end

local function offerGroup(group)
  if groupActive(group) < groupLimit and redis.call('LLEN', groupKey(group)) > 0 then
    if redis.call('ZADD', KG, 'NX', nowText, group) == 1 then wake() end
  end
end

local function releaseGroup(group)
  if not group then return end
  if redis.call('HINCRBY', KGA, group, -1) <= 0 then redis.call('HDEL', KGA, group) end
  offerGroup(group)
end

-- Puts a job where a claim finds it. `front` is for jobs handed back, which go before newer ones;
-- `quiet` leaves the wake-up to the caller (a bulk add wakes once).
local function makeReady(lid, priority, group, front, quiet)
  if group then
    -- Grouped jobs wait in per-group lists; meta `gw` counts them for counts().
    countGroupWaiting(group, 1)
    if front then redis.call('LPUSH', groupKey(group), lid) else redis.call('RPUSH', groupKey(group), lid) end
    offerGroup(group)
    return
  end
  if priority > 0 then
    local seq = front and 0 or redis.call('HINCRBY', KM, 'seq', 1)
    redis.call('ZADD', KP, (1000 - priority) * PRIORITY_SPAN + seq, lid)
  elseif front then
    redis.call('LPUSH', KW, lid)
  else
    redis.call('RPUSH', KW, lid)
  end
  if not quiet then wake() end
end

-- Moves due delayed jobs (up to `limit`) to ready. Returns the run time of the earliest job still
-- delayed (nil: none); a queue with no delayed jobs, or none due, costs one call.
local function promoteDelayed(limit)
  local first = redis.call('ZRANGE', KD, '0', '0', 'WITHSCORES')[2]
  if not first or tonumber(first) > now then return first and tonumber(first) end
  local due = redis.call('ZRANGEBYSCORE', KD, '-inf', nowText, 'LIMIT', '0', limit)
  for _, lid in ipairs(due) do
    redis.call('ZREM', KD, lid)
    local jk = base .. lid
    local f = redis.call('HMGET', jk, 'pr', 'g')
    redis.call('HSET', jk, 's', 'waiting')
    makeReady(lid, tonumber(f[1] or '0'), f[2], false)
    emit(lid, 'waiting')
  end
  local after = redis.call('ZRANGE', KD, '0', '0', 'WITHSCORES')[2]
  return after and tonumber(after)
end

-- Deletes a job and frees its idempotency key. `zkey` is the set it is in (nil: none); `ik` may be
-- passed when the caller already read it (false: the job has none).
local function removeJob(zkey, lid, ik)
  local jk = base .. lid
  if ik == nil then ik = redis.call('HGET', jk, 'ik') end
  if ik and redis.call('HGET', KI, ik) == lid then redis.call('HDEL', KI, ik) end
  redis.call('DEL', jk)
  if zkey then redis.call('ZREM', zkey, lid) end
end

-- Finished sets are scored by when a job expires, fixed when it finishes: the job's own retention
-- (`override`, a hash field, nil when it has none) or else the queue's age. An age of 0 (queue: count
-- limit only) or -1 (job: forever) never expires; such jobs still sort by finish time, after the rest.
local KEEP_FOREVER = 17592186044416 -- 2^44 ms, some 557 years
local function expiresAt(override, queueAgeMs)
  local age = override and tonumber(override) or queueAgeMs
  if age <= 0 then return now + KEEP_FOREVER end
  return now + age
end

-- Puts a finished job in its set (`zkey`) unless its retention is none: then it goes at once (its
-- outcome travelled in the event already). `override` is as HMGET gives it (false when absent); `ik`
-- as for removeJob.
local function keepFinished(zkey, lid, override, queueAgeMs, queueKeepsNone, ik)
  if override == '0' or (not override and queueKeepsNone) then
    removeJob(nil, lid, ik)
    return false
  end
  redis.call('ZADD', zkey, int(expiresAt(override, queueAgeMs)), lid)
  return true
end

-- Active retention: remove expired jobs, then the soonest to expire beyond `keep` (-1 = no count
-- limit); `limit` removals of each kind per call.
local function trim(zkey, keep, limit)
  local old = redis.call('ZRANGEBYSCORE', zkey, '-inf', nowText, 'LIMIT', '0', limit)
  for _, lid in ipairs(old) do removeJob(zkey, lid) end
  if keep >= 0 then
    local extra = redis.call('ZCARD', zkey) - keep
    if extra > 0 then
      if extra > limit then extra = limit end
      local oldest = redis.call('ZRANGE', zkey, '0', extra - 1)
      for _, lid in ipairs(oldest) do removeJob(zkey, lid) end
    end
  end
end

-- A job from the next ready group (round robin), or nil; a group emptied by a cancel is skipped.
local function popGroup()
  for _ = 1, 10 do
    local group = redis.call('ZPOPMIN', KG)[1]
    if not group then return nil end
    local lid = redis.call('LPOP', groupKey(group))
    if lid then
      countGroupWaiting(group, -1)
      redis.call('HINCRBY', KGA, group, 1)
      offerGroup(group)
      return lid
    end
  end
  return nil
end

-- Up to `count` jobs to claim, in claim order: prioritized first, then plain and grouped jobs in turn
-- (the i-th pick tries a group first when i is even) so neither starves. Prioritized and plain jobs
-- come off in one call each; only ready groups are taken one by one.
local function takeReady(count)
  local ids = {}
  local prioritized = redis.call('ZPOPMIN', KP, count)
  for i = 1, #prioritized, 2 do ids[#ids + 1] = prioritized[i] end
  if #ids == count then return ids end
  if redis.call('ZCARD', KG) == 0 then
    local plain = redis.call('LPOP', KW, count - #ids)
    if plain then
      for _, lid in ipairs(plain) do ids[#ids + 1] = lid end
    end
    return ids
  end
  -- Once a source comes back empty it stays empty for the rest of this claim (only popGroup re-offers
  -- a group, and only one that still has jobs), so it is not asked again.
  local groupsLeft, plainLeft = true, true
  local function fromGroups()
    if not groupsLeft then return nil end
    local lid = popGroup()
    if not lid then groupsLeft = false end
    return lid
  end
  local function fromPlain()
    if not plainLeft then return nil end
    local lid = redis.call('LPOP', KW)
    if not lid then plainLeft = false end
    return lid
  end
  for i = #ids + 1, count do
    local lid = nil
    if i % 2 == 0 then lid = fromGroups() end
    lid = lid or fromPlain() or fromGroups()
    if not lid then break end
    ids[#ids + 1] = lid
  end
  return ids
end

-- ZADD of many members with one score (text: see `int`), a few hundred per call (Lua's unpack has a
-- stack limit).
local function zaddAll(key, score, ids)
  for from = 1, #ids, 500 do
    local args = {}
    for i = from, math.min(#ids, from + 499) do
      args[#args + 1] = score
      args[#args + 1] = ids[i]
    end
    redis.call('ZADD', key, unpack(args))
  end
end

-- A claimed job in a claim reply is 4 items, so a reply of many jobs is quick to decode:
--   `<local id>|<lease token>|<attempt>|<max attempts>|<timeout ms>|<created at>` (absent fields empty),
--   the task name, the data, and '' or a JSON object of the rarer fields: b backoff, g group.
local FIELDS_PER_JOB = 4

-- Claims up to `count` jobs for `worker` with a lease of `leaseMs`. Returns the next time worth
-- claiming again (ms; 0 = now, -1 = when woken) followed by FIELDS_PER_JOB items per job. `chain`
-- wakes another idle worker when work is left; the claim that rides on a completion skips it (its
-- worker is busy, and the others were woken when that work arrived).
local function claim(count, worker, leaseMs, rateMax, rateWindowMs, chain)
  local out = { -1 }
  if count <= 0 then return out end
  if redis.call('HEXISTS', KM, 'paused') == 1 then return out end
  local nextDelayed = promoteDelayed(100)
  if rateMax > 0 then
    local used = tonumber(redis.call('GET', KRL) or '0')
    if used >= rateMax then
      local ttl = redis.call('PTTL', KRL)
      out[1] = now + (ttl > 0 and ttl or rateWindowMs)
      return out
    end
    if count > rateMax - used then count = rateMax - used end
  end
  local ids = takeReady(count)
  for _, lid in ipairs(ids) do
    local jk = base .. lid
    local f = redis.call('HMGET', jk, 'n', 'd', 'ma', 'bo', 'to', 't', 'g', 'c', 'at')
    local token = int(tonumber(f[8] or '0') + 1)
    local attempt = int(tonumber(f[9] or '0') + 1)
    redis.call('HSET', jk, 's', 'active', 'w', worker, 'st', nowText, 'c', token, 'at', attempt)
    emit(lid, 'active')
    out[#out + 1] = lid .. '|' .. token .. '|' .. attempt .. '|' .. (f[3] or '') .. '|' .. (f[5] or '') .. '|' .. (f[6] or '')
    out[#out + 1] = f[1]
    out[#out + 1] = f[2]
    out[#out + 1] = (f[4] or f[7]) and cjson.encode({ b = f[4] or nil, g = f[7] or nil }) or ''
  end
  local claimed = #ids
  if claimed > 0 then zaddAll(KA, int(now + leaseMs), ids) end
  if rateMax > 0 and claimed > 0 then
    if redis.call('INCRBY', KRL, claimed) == claimed then redis.call('PEXPIRE', KRL, rateWindowMs) end
  end
  -- Work left after a full chained claim: wake another worker, and this one claims again at once (0).
  -- Ran dry: tell the worker when the earliest delayed job is due, so it waits on the marker until
  -- then without another claim.
  if chain and claimed == count and (redis.call('LLEN', KW) > 0 or redis.call('ZCARD', KP) > 0 or redis.call('ZCARD', KG) > 0) then
    wake()
    out[1] = 0
  elseif nextDelayed and (chain or claimed < count) then
    out[1] = nextDelayed
  end
  return out
end

--[[
  Hand-off to idle fetch loops. A worker's fetch loop that found the queue empty registers in the
  hash `<job base>~idle` (field: its token, value: `worker|lease ms|free slots|wait ms|deadline`) and
  blocks on its inbox list `<job base>~in:<token>` as well as the wake-up marker. `add` then claims
  the new jobs for it and pushes them to that inbox: the worker wakes with its jobs in hand, one round
  trip sooner than waking on the marker and claiming. An entry past its deadline (a worker that died
  blocked) is dropped; a job handed to an inbox nobody reads is active with a lease and comes back as
  stalled when the lease runs out, like any job of a dead worker.
]]
local KIDLE = base .. '~idle'
local function inboxKey(token) return base .. '~in:' .. token end

-- `leaseMs` and `waitMs` come as the caller's text; `free` is a count.
local function registerIdle(token, worker, leaseMs, free, waitMs)
  redis.call('HSET', KIDLE, token, worker .. '|' .. leaseMs .. '|' .. int(free) .. '|' .. waitMs .. '|' .. int(now + waitMs + 1000))
end

-- Claims ready jobs for idle fetch loops; each inbox message is a claim reply (see claim) whose first
-- item says whether the loop is still registered (1) for the slots it has left. Returns true when a
-- loop got fewer jobs than it had slots for: nothing claimable is left, so no worker needs waking.
local function handOff()
  local idle = redis.call('HGETALL', KIDLE)
  for i = 1, #idle, 2 do
    local token, entry = idle[i], idle[i + 1]
    local worker, leaseMs, free, waitMs, deadline = string.match(entry, '^(.*)|(%d+)|(%d+)|(%d+)|(%d+)$')
    if not deadline or tonumber(deadline) < now then
      redis.call('HDEL', KIDLE, token)
    else
      local out = claim(tonumber(free), worker, tonumber(leaseMs), 0, 0, false)
      local got = (#out - 1) / FIELDS_PER_JOB
      if got == 0 then return true end
      local left = tonumber(free) - got
      if left > 0 then
        registerIdle(token, worker, leaseMs, left, waitMs)
        out[1] = '1'
      else
        redis.call('HDEL', KIDLE, token)
        out[1] = '0'
      end
      local inbox = inboxKey(token)
      redis.call('RPUSH', inbox, cjson.encode(out))
      redis.call('PEXPIRE', inbox, leaseMs)
      if left > 0 then return true end
    end
  end
  return false
end
