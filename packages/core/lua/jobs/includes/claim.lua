local KRL = queuePrefix .. 'rl'

-- Up to `count` jobs to claim, in claim order: prioritized first, then plain and grouped jobs in turn
-- (the i-th pick tries a group first when i is even) so neither starves. Prioritized and plain jobs
-- come off in one call each; only ready groups are taken one by one. `plainOnly`: the queue has no
-- prioritized job and no ready group.
local function takeReady(count, plainOnly)
  local ids = {}
  if not plainOnly then
    local prioritized = redis.call('ZPOPMIN', KP, count)
    for i = 1, #prioritized, 2 do ids[#ids + 1] = prioritized[i] end
    if #ids == count then return ids end
  end
  if plainOnly or redis.call('EXISTS', KG) == 0 then
    local plain = redis.call('LPOP', KW, count - #ids)
    if plain then
      for _, lid in ipairs(plain) do ids[#ids + 1] = lid end
    end
    return ids
  end
  -- Once a source comes back empty it stays empty for the rest of this claim (only a group pop re-offers
  -- a group, and only one that still has jobs), so it is not asked again.
  local g = groups()
  local groupsLeft, plainLeft = true, true
  local function fromGroups()
    if not groupsLeft then return nil end
    local lid = g.pop()
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
-- worker is busy, and the others were woken when that work arrived). `leaseMs`, `rateMax` and
-- `rateWindowMs` are the caller's text (read as numbers only when needed). `known` (optional) gives,
-- for the local id of a job this script run created, the values of the fields read below in their
-- order (false when absent), so they need no read; nil for other jobs.
local function claim(count, worker, leaseMs, rateMax, rateWindowMs, chain, known)
  local out = { -1 }
  if count <= 0 then return out end
  if redis.call('HEXISTS', KM, 'paused') == 1 then return out end
  -- Most claims find no delayed, prioritized or grouped job: one call tells, instead of one per set.
  local plainOnly = redis.call('EXISTS', KD, KP, KG) == 0
  local nextDelayed = nil
  if not plainOnly then nextDelayed = promoteDelayed(100) end
  local limited = rateMax ~= '0'
  if limited then
    rateMax, rateWindowMs = tonumber(rateMax), tonumber(rateWindowMs)
    local used = tonumber(redis.call('GET', KRL) or '0')
    if used >= rateMax then
      local ttl = redis.call('PTTL', KRL)
      out[1] = now + (ttl > 0 and ttl or rateWindowMs)
      return out
    end
    if count > rateMax - used then count = rateMax - used end
  end
  local ids = takeReady(count, plainOnly)
  for _, lid in ipairs(ids) do
    local jk = base .. lid
    local f = known and known(lid) or redis.call('HMGET', jk, 'n', 'd', 'ma', 'bo', 'to', 't', 'g', 'c', 'at')
    -- A job's first claim needs no arithmetic (tonumber and format cost more than a small command).
    local token = f[8] and int(tonumber(f[8]) + 1) or '1'
    local attempt = f[9] and int(tonumber(f[9]) + 1) or '1'
    redis.call('HSET', jk, 's', 'active', 'w', worker, 'st', nowText, 'c', token, 'at', attempt)
    emit(lid, 'active')
    out[#out + 1] = lid .. '|' .. token .. '|' .. attempt .. '|' .. (f[3] or '') .. '|' .. (f[5] or '') .. '|' .. (f[6] or '')
    out[#out + 1] = f[1]
    out[#out + 1] = f[2]
    out[#out + 1] = (f[4] or f[7]) and cjson.encode({ b = f[4] or nil, g = f[7] or nil }) or ''
  end
  local claimed = #ids
  if claimed > 0 then zaddAll(KA, int(now + leaseMs), ids) end
  if limited and claimed > 0 then
    if redis.call('INCRBY', KRL, claimed) == claimed then redis.call('PEXPIRE', KRL, rateWindowMs) end
  end
  -- Work left after a full chained claim: wake another worker, and this one claims again at once (0).
  -- Ran dry: tell the worker when the earliest delayed job is due, so it waits on the marker until
  -- then without another claim.
  if chain and claimed == count and redis.call('EXISTS', KW, KP, KG) > 0 then
    wake()
    out[1] = 0
  elseif nextDelayed and (chain or claimed < count) then
    out[1] = nextDelayed
  end
  return out
end
