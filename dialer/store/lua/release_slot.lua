-- release_slot.lua: free a slot nothing can be recorded against (its lead or campaign is gone).
-- Only a slot still held is released (and its network counted down once), as in finish.lua.
-- KEYS: the campaign's calls, the campaign's busy, the call hash
-- ARGV: call uuid, network
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  if redis.call('HINCRBY', KEYS[2], ARGV[2], -1) < 0 then redis.call('HSET', KEYS[2], ARGV[2], 0) end
  redis.call('HSET', KEYS[3], 'state', 'released')
end
return 1
