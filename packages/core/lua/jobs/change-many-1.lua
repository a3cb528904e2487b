--[[
  One step of a bulk retry or removal (see Jobs.retryJobs / removeJobs): of the jobs of one state from
  a rank on, those of one task (or all) go back to waiting with a fresh set of attempts, or are deleted.
  The caller pages through the state's sorted set; a step is kept short so Redis is never held long.
  KEYS[1]: the queue's meta key; the others derive from it (see includes/queue.lua).
  ARGV[1..3] common; ARGV[4] 'retry' or 'remove'; ARGV[5] state (delayed | completed | failed |
  cancelled; retry: failed or cancelled only); ARGV[6] task name ('' = every task); ARGV[7] first rank;
  ARGV[8] how many jobs to look at.
  Returns: { jobs looked at, jobs retried or removed, ids whose job was gone (taken out of the set) }.
]]
--@include queue
--@include groups
--@include ready
--@include retention
--@include rerun
local retry, state, name = ARGV[4] == 'retry', ARGV[5], ARGV[6]
local zkey = ({ delayed = KD, completed = KC, failed = KF, cancelled = KX })[state]
local offset = tonumber(ARGV[7])
local ids = redis.call('ZRANGE', zkey, offset, offset + tonumber(ARGV[8]) - 1)
local changed, dropped = 0, 0
for _, lid in ipairs(ids) do
  local f = redis.call('HMGET', base .. lid, 'n', 'pr', 'g', 'ik')
  if not f[1] then
    redis.call('ZREM', zkey, lid)
    dropped = dropped + 1
  elseif name == '' or f[1] == name then
    if retry then
      rerun(lid, zkey, f[2], f[3], true)
    else
      removeJob(zkey, lid, f[4])
      emit(lid, 'removed')
    end
    changed = changed + 1
  end
end
-- One wake-up for the step, as a bulk add does.
if retry and changed > 0 then wake() end
return { #ids, changed, dropped }
