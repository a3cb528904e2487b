--[[
  Hand-off to idle fetch loops. A worker's fetch loop that found the queue empty registers in the
  hash `<job base>~idle` (field: its token, value: `lease ms|free slots|wait ms|deadline|worker`) and
  blocks on its inbox list `<job base>~in:<token>` as well as the wake-up marker. `add` then claims
  the new jobs for it and pushes them to that inbox: the worker wakes with its jobs in hand, one round
  trip sooner than waking on the marker and claiming. An entry past its deadline (a worker that died
  blocked) is dropped; a job handed to an inbox nobody reads is active with a lease and comes back as
  stalled when the lease runs out, like any job of a dead worker. An entry that does not parse (one
  written in another layout by another version) is dropped the same way: its loop is woken by the marker.
]]
local KIDLE = base .. '~idle'
local function inboxKey(token) return base .. '~in:' .. token end

-- `leaseMs` and `waitMs` come as the caller's text; `free` is a count.
local function registerIdle(token, worker, leaseMs, free, waitMs)
  redis.call('HSET', KIDLE, token, leaseMs .. '|' .. int(free) .. '|' .. waitMs .. '|' .. int(now + waitMs + 1000) .. '|' .. worker)
end

-- Claims ready jobs for idle fetch loops; each inbox message is a claim reply (see claim) whose first
-- item says whether the loop is still registered (1) for the slots it has left. Returns true when a
-- loop got fewer jobs than it had slots for: nothing claimable is left, so no worker needs waking.
-- `known`: as for claim.
local function handOff(known)
  local idle = redis.call('HGETALL', KIDLE)
  for i = 1, #idle, 2 do
    local token, entry = idle[i], idle[i + 1]
    -- The worker id goes last: with it first, `(.*)` made the match backtrack, some 14,000 instructions.
    local leaseMs, free, waitMs, deadline, worker = string.match(entry, '^(%d+)|(%d+)|(%d+)|(%d+)|(.+)$')
    if not deadline or tonumber(deadline) < now then
      redis.call('HDEL', KIDLE, token)
    else
      free = tonumber(free)
      local out = claim(free, worker, leaseMs, '0', '0', false, known)
      local got = (#out - 1) / FIELDS_PER_JOB
      if got == 0 then return true end
      local left = free - got
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
