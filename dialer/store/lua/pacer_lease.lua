-- pacer_lease.lua: take, renew or give up the lease on pacing one autodialer campaign.
-- Only one engine paces an autodialer campaign at a time: each would count the same free agents
-- and dial for them all (docs/autodialer.md, "The engine").
--
-- KEYS: the campaign's pacer lease (STRING: the engine id holding it, with a PX expiry)
-- ARGV: engine id, lease ms (0: give it up, if held by this engine)
-- Returns 1 when the engine holds the lease now (taken: SET NX PX, or renewed: PEXPIRE of its own),
-- 0 when another engine does (or it was given up).
local key, owner, ms = KEYS[1], ARGV[1], tonumber(ARGV[2])
local holder = redis.call('GET', key)
if ms <= 0 then
  if holder == owner then redis.call('DEL', key) end
  return 0
end
if holder == owner then
  redis.call('PEXPIRE', key, ms)
  return 1
end
if redis.call('SET', key, owner, 'NX', 'PX', ms) then return 1 end
return 0
