--[[
  Renews the leases a worker holds (its heartbeat).
  KEYS[1]: the queue's meta key; the others derive from it (see includes/queue.lua).
  ARGV[1..3] common; ARGV[4] lease ms; then pairs of local id, lease token.
  Returns: one code per pair: 1 renewed, 0 lease lost, 2 renewed but cancellation requested.
]]
--@include queue
local leaseMs = tonumber(ARGV[4])
local out = {}
for i = 5, #ARGV, 2 do
  local lid, token = ARGV[i], ARGV[i + 1]
  local f = redis.call('HMGET', base .. lid, 'c', 'cd')
  if f[1] == token and redis.call('ZSCORE', KA, lid) then
    local deadline = now + leaseMs
    local code = 1
    if f[2] then
      -- A cancelled job keeps the deadline cancel() gave it, so it ends even if this worker hangs.
      code = 2
      if tonumber(f[2]) < deadline then deadline = tonumber(f[2]) end
    end
    redis.call('ZADD', KA, 'XX', deadline, lid)
    out[#out + 1] = code
  else
    out[#out + 1] = 0
  end
end
return out
