--[[
  Prelude of every jobs script (the loader in src/jobs/scripts.ts pastes each `--@include name` line's
  file in its place; a script includes only the helpers it uses, in the order below, because each
  function a prelude defines is made anew on every run, some 1,000 redis-server instructions apiece).
    queue      keys, clock, events, wake-up            (every script)
    groups     grouped jobs' helpers, made on first use (scripts that move ready jobs)
    ready      making jobs ready, promoting delayed ones   (needs groups)
    retention  removing jobs, keeping finished ones
    unready    taking a waiting job out of its index   (needs groups)
    rerun      a failed or cancelled job waiting again (needs ready)
    claim      taking ready jobs with a lease          (needs groups, ready)
    handoff    handing new jobs to idle fetch loops    (needs claim)
  Every script receives one key, KEYS[1], the queue's meta hash `<prefix>:j:{queue}:m`, and derives the
  queue's other keys from it (same hash tag, so one Cluster slot; sending 14 key names with every call
  cost the worker measurable time per call):
    m meta (hash: paused, seq, gw, gw:<group>)   w waiting list (priority 0)   p prioritized zset
    d delayed zset (score runAt)    a active zset (score = lease deadline)
    c completed zset (score expiry) f failed zset (score expiry) x cancelled zset (score expiry)
    e events stream                 k wake-up marker list       i idempotency hash
    G ready groups zset             ga active count per group   rl rate-limit counter
    l:<local id> a job's own log (list of JSON lines; see append-log-1.lua)
  and the same first three arguments:
    ARGV[1] prefix of job hashes (`<prefix>:j:{queue}:`), ARGV[2] events stream cap, ARGV[3] group concurrency.
  Job hash fields: n name, d data, s state, t created, pr priority, ma max attempts, bo backoff, to timeout,
  ra runAt, st started, ft finished, r result, e error, pg progress, w worker, c claim counter (lease token),
  at attempts, sc stalls, cx cancel requested, cd cancel deadline, ik idempotency key, g group,
  kc / kf the job's own retention once completed / once failed or cancelled (ms; 0 = none, -1 = forever).
]]
local KM = KEYS[1]
local queuePrefix = string.sub(KM, 1, -2)
local KW, KP, KD, KA, KE, KK, KI, KG =
  queuePrefix .. 'w', queuePrefix .. 'p', queuePrefix .. 'd', queuePrefix .. 'a', queuePrefix .. 'e',
  queuePrefix .. 'k', queuePrefix .. 'i', queuePrefix .. 'G'
local base = ARGV[1]
local eventsMax = ARGV[2]
-- The clock in ms, as text and as a number. Redis 7.0 writes a number passed to redis.call as text with
-- printf("%.17g"), and Lua's `..` does the same with "%.14g": some 4,000 instructions for a 13-digit
-- timestamp, more than many a command costs. So `nowText` is cut from TIME's own digits, `int` writes
-- a computed integer with "%d" (half the price), and the hot paths pass text. Reading text as a number
-- (tonumber, or arithmetic on text) goes through strtod, ~1,800 instructions: done once here.
local nowText = (function()
  local t = redis.call('TIME')
  local us = t[2]
  local ms = #us > 3 and string.sub(us, 1, -4) or '0'
  return t[1] .. string.rep('0', 3 - #ms) .. ms
end)()
local now = tonumber(nowText)
local function int(n) return string.format('%d', n) end

-- Final events also go to the channel `<job hash prefix>done` as `lid \n event \n data`: a process
-- waiting for results then wakes for those only, not for every event of the queue (PUBLISH with no
-- subscriber costs next to nothing).
local FINAL = { completed = true, failed = true, cancelled = true, removed = true }

local function emit(lid, event, data)
  if data then
    redis.call('XADD', KE, 'MAXLEN', '~', eventsMax, '*', 'j', lid, 'e', event, 'd', data)
  else
    redis.call('XADD', KE, 'MAXLEN', '~', eventsMax, '*', 'j', lid, 'e', event)
  end
  if FINAL[event] then redis.call('PUBLISH', base .. 'done', lid .. '\n' .. event .. '\n' .. (data or '')) end
end

-- One marker wakes one idle worker blocked on BLPOP; more than one would only cause empty claims.
local function wake()
  if redis.call('LLEN', KK) == 0 then redis.call('RPUSH', KK, '1') end
end
