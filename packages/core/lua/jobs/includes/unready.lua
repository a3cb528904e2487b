-- Takes a waiting job out of the index a claim would find it in: its group's list, the priorities or
-- the plain list (a cancel or a removal). Returns true when it was there.
local function unready(lid, group)
  if group then
    if redis.call('LREM', groups().key(group), 1, lid) == 0 then return false end
    groups().countWaiting(group, -1)
    return true
  end
  -- A prioritized job is not in the plain list: skip that list's scan.
  if redis.call('ZREM', KP, lid) == 1 then return true end
  return redis.call('LREM', KW, 1, lid) > 0
end
