-- Priorities 1..1000 sort before 0 (the plain list); within one priority, first in first out.
local PRIORITY_SPAN = 1099511627776 -- 2^40

-- Puts a job where a claim finds it. `front` is for jobs handed back, which go before newer ones;
-- `quiet` leaves the wake-up to the caller (a bulk add wakes once). `priority` is text, as stored.
local function makeReady(lid, priority, group, front, quiet)
  if group then
    local g = groups()
    g.countWaiting(group, 1)
    if front then redis.call('LPUSH', g.key(group), lid) else redis.call('RPUSH', g.key(group), lid) end
    g.offer(group)
    return
  end
  if priority ~= '0' then
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
    makeReady(lid, f[1] or '0', f[2], false)
    emit(lid, 'waiting')
  end
  local after = redis.call('ZRANGE', KD, '0', '0', 'WITHSCORES')[2]
  return after and tonumber(after)
end
