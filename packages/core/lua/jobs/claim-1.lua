--[[
  Claims up to N jobs with a lease (promoting due delayed jobs first).
  KEYS[1]: the queue's meta key; the others derive from it (see includes/queue.lua).
  ARGV[1..3] common; ARGV[4] count, ARGV[5] worker id, ARGV[6] lease ms, ARGV[7] rate limit max (0 = none),
  ARGV[8] rate limit window ms, ARGV[9] idle token of the calling fetch loop ('' = none), ARGV[10] its
  wait ms. With a token, the loop's idle registration ends and the jobs already handed to its inbox
  come first in the reply; when the queue has fewer jobs than asked, the loop registers as idle again
  (see includes/handoff.lua).
  Returns: { next claim time (0 now, -1 when woken, else ms), then 4 items per job (see claim in
  includes/claim.lua) }, then 1 if the loop is registered idle.
]]
--@include queue
--@include groups
--@include ready
--@include claim
--@include handoff
local count, worker, leaseMs = tonumber(ARGV[4]), ARGV[5], ARGV[6]
local rateMax, rateWindowMs = ARGV[7], ARGV[8]
local token = ARGV[9]
local handed = {}
if token ~= '' then
  redis.call('HDEL', KIDLE, token)
  local inbox = inboxKey(token)
  for _, message in ipairs(redis.call('LRANGE', inbox, 0, -1)) do
    local reply = cjson.decode(message)
    for i = 2, #reply do handed[#handed + 1] = reply[i] end
  end
  redis.call('DEL', inbox)
end
local want = count - #handed / FIELDS_PER_JOB
local out = claim(want, worker, leaseMs, rateMax, rateWindowMs, true)
local registered = 0
local claimed = (#out - 1) / FIELDS_PER_JOB
if token ~= '' and rateMax == '0' and claimed < want then
  registerIdle(token, worker, leaseMs, want - claimed, ARGV[10])
  registered = 1
end
-- Handed jobs were claimed first: they go first.
local reply = { out[1] }
for _, value in ipairs(handed) do reply[#reply + 1] = value end
for i = 2, #out do reply[#reply + 1] = out[i] end
reply[#reply + 1] = registered
return reply
