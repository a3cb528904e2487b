-- Releases a cache loader lease only when the caller still holds it, so a process whose lease
-- already expired cannot free a lease another process has since taken.
-- KEYS[1]: the lease key
-- ARGV[1]: the token the caller took the lease with
-- Returns: 1 when the lease was released, 0 when it was absent or held by another token.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
