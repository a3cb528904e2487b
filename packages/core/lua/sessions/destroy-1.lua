--[[
  Removes a session, optionally only while it belongs to a given user.
  KEYS[1]   the session hash
  ARGV[1]   the user it must belong to (a JSON string, as stored), or '' for any
  Returns the session's user id as stored (JSON; '' for none) when removed, nil when absent or owned by someone else.
]]
local user = redis.call('HGET', KEYS[1], '_u')
if ARGV[1] ~= '' and user ~= ARGV[1] then return false end
if redis.call('DEL', KEYS[1]) == 0 then return false end
return user or ''
