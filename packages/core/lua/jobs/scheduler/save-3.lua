-- Creates or replaces one schedule's definition. An unchanged definition keeps its next slot (every
-- process may declare the same schedules at boot); a paused schedule stays paused.
-- KEYS[1] definitions HASH, KEYS[2] due ZSET, KEYS[3] paused SET
-- ARGV[1] schedule id, ARGV[2] definition JSON, ARGV[3] next slot time (ms) for a new or changed definition
-- Returns 1 when created, 2 when replaced, 0 when unchanged.
local previous = redis.call('HGET', KEYS[1], ARGV[1])
if previous == ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 0 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
if previous then
  return 2
end
return 1
