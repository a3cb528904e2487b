-- Pauses or resumes one schedule.
-- KEYS[1] definitions HASH, KEYS[2] due ZSET, KEYS[3] paused SET
-- ARGV[1] schedule id, ARGV[2] '1' to pause or '0' to resume, ARGV[3] next slot time (ms) when resuming
-- Returns -1 when the schedule does not exist, 1 when its state changed, 0 when it already was so.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return -1
end
if ARGV[2] == '1' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return redis.call('SADD', KEYS[3], ARGV[1])
end
if redis.call('SREM', KEYS[3], ARGV[1]) == 0 then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
