local KC, KF, KX = queuePrefix .. 'c', queuePrefix .. 'f', queuePrefix .. 'x'

-- Deletes a job, with its own log (append-log-1.lua), and frees its idempotency key. `zkey` is the set it is in (nil: none); `ik` may be
-- passed when the caller already read it (false: the job has none).
local function removeJob(zkey, lid, ik)
  local jk = base .. lid
  if ik == nil then ik = redis.call('HGET', jk, 'ik') end
  if ik and redis.call('HGET', KI, ik) == lid then redis.call('HDEL', KI, ik) end
  redis.call('DEL', jk, queuePrefix .. 'l:' .. lid)
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
      local oldest = redis.call('ZPOPMIN', zkey, extra)
      for i = 1, #oldest, 2 do removeJob(nil, oldest[i]) end
    end
  end
end
