-- A failed or cancelled job, out of its finished set `zkey`, waits again with a fresh set of attempts
-- (retry, and the bulk retry). `priority` and `group` as stored; `quiet` as for makeReady.
local function rerun(lid, zkey, priority, group, quiet)
  local jk = base .. lid
  redis.call('ZREM', zkey, lid)
  redis.call('HDEL', jk, 'e', 'ft', 'cx', 'cd', 'sc', 'r', 'pg')
  redis.call('HSET', jk, 's', 'waiting', 'at', 0)
  makeReady(lid, priority or '0', group or nil, false, quiet)
  emit(lid, 'waiting')
end
