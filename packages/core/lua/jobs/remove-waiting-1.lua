--[[
  One step of a bulk removal of waiting jobs (see Jobs.removeJobs): deletes, of the given jobs, those
  still waiting and of the given task (or of any). The caller lists the waiting jobs page by page (they
  sit in three kinds of index: the plain list, the priorities and the groups' lists).
  KEYS[1]: the queue's meta key; the others derive from it (see includes/queue.lua).
  ARGV[1..3] common; ARGV[4] task name ('' = every task); ARGV[5..] local ids.
  Returns: { jobs looked at, jobs removed, jobs no longer waiting (claimed or removed meanwhile) }.
]]
--@include queue
--@include groups
--@include retention
--@include unready
local name = ARGV[4]
local removed, gone = 0, 0
for i = 5, #ARGV do
  local lid = ARGV[i]
  local f = redis.call('HMGET', base .. lid, 's', 'n', 'g', 'ik')
  if f[1] ~= 'waiting' then
    gone = gone + 1
  elseif name == '' or f[2] == name then
    unready(lid, f[3] or nil)
    removeJob(nil, lid, f[4])
    emit(lid, 'removed')
    removed = removed + 1
  end
end
return { #ARGV - 4, removed, gone }
