--[[
  Grouped jobs wait in per-group lists `<job base>g:<group>`; the ready groups zset G offers each group
  with a free slot (fewer than ARGV[3] of its jobs active, counted in `ga`) to claims in turn. Meta
  counts waiting grouped jobs: `gw` for all groups (counts()) and `gw:<group>` per group, so a listing
  finds the groups' lists without scanning keys. The helpers are made by the first call of `groups()`:
  most runs touch no group, and making five closures on every run would cost more than some commands.
]]
local groupHelpers
local function groups()
  if groupHelpers then return groupHelpers end
  local KGA = queuePrefix .. 'ga'
  local limit = tonumber(ARGV[3])
  local g = {}
  function g.key(group) return base .. 'g:' .. group end
  function g.countWaiting(group, delta)
    redis.call('HINCRBY', KM, 'gw', delta)
    if redis.call('HINCRBY', KM, 'gw:' .. group, delta) <= 0 then redis.call('HDEL', KM, 'gw:' .. group) end
  end
  function g.offer(group)
    if tonumber(redis.call('HGET', KGA, group) or '0') < limit and redis.call('LLEN', g.key(group)) > 0 then
      if redis.call('ZADD', KG, 'NX', nowText, group) == 1 then wake() end
    end
  end
  function g.release(group)
    if redis.call('HINCRBY', KGA, group, -1) <= 0 then redis.call('HDEL', KGA, group) end
    g.offer(group)
  end
  -- A job from the next ready group (round robin), or nil; a group emptied by a cancel is skipped.
  function g.pop()
    for _ = 1, 10 do
      local group = redis.call('ZPOPMIN', KG)[1]
      if not group then return nil end
      local lid = redis.call('LPOP', g.key(group))
      if lid then
        g.countWaiting(group, -1)
        redis.call('HINCRBY', KGA, group, 1)
        g.offer(group)
        return lid
      end
    end
    return nil
  end
  groupHelpers = g
  return g
end
