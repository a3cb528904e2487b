-- Claims one slot of one schedule: moves its next slot from the time the caller saw to the following
-- one, only if nobody moved it first. Of several schedulers that saw the same slot exactly one gets 1,
-- which is what makes a slot run once. Also used to hand a slot back after a failed enqueue.
-- KEYS[1] due ZSET, KEYS[2] last-runs HASH
-- ARGV[1] schedule id, ARGV[2] the slot time (ms) the caller saw, ARGV[3] the next slot time (ms),
-- ARGV[4] the slot time to record as the last run, or '' to leave it
-- Returns 1 when claimed, 0 when another scheduler claimed it, or the schedule was paused or removed.
local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not current or tonumber(current) ~= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
end
return 1
