--[[
  Claims up to N jobs with a lease (promoting due delayed jobs first).
  KEYS: the 14 queue keys (see includes/common.lua).
  ARGV[1..3] common; ARGV[4] count, ARGV[5] worker id, ARGV[6] lease ms, ARGV[7] rate limit max (0 = none),
  ARGV[8] rate limit window ms.
  Returns: { next claim time (0 now, -1 when woken, else ms), then per job: local id, lease token, attempt,
  name, data, max attempts, backoff, timeout, created at, group }.
]]
--@include common
return claim(tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), true)
