-- unclaim.lua: give back the slots of a claim whose answer never came back (the connection broke
-- after claim.lua ran: a failover, a restart). The engine dialled none of them; left alone they
-- would be adopted when their lease ends and recorded lost, never dialled.
--
-- Only slots exactly as that claim left them: this owner, node and start, the lease untouched (not
-- adopted or renewed since), still dialing. Each is removed and counted down, its call hash
-- deleted, and its lead queued again at the front of the hopper with the call uuid kept as its
-- next call (the next claim uses the same one: the attempt is the same, it was never sent).
-- KEYS: the campaign's calls, busy, hopper, then the lead key PREFIX and the call key PREFIX: the
-- calls are found by their lease end and their leads read from their call hashes, so their keys are
-- built from the declared prefixes (docs/redis-keys.md, "Keys the scripts touch").
-- ARGV: owner, node, start ms, lease end ms (start + lease)
-- Returns the number of slots given back.
local calls_k, busy_k, hopper_k, lead_prefix, call_prefix = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local owner, node, start = ARGV[1], ARGV[2], ARGV[3]
local n = 0
for _, call in ipairs(redis.call('ZRANGE', calls_k, ARGV[4], ARGV[4], 'BYSCORE')) do
  local ck = call_prefix .. call
  local h = redis.call('HMGET', ck, 'owner', 'node', 'start_ms', 'state', 'lead', 'network')
  if h[1] == owner and h[2] == node and h[3] == start and h[4] == 'dialing' then
    redis.call('ZREM', calls_k, call)
    if redis.call('HINCRBY', busy_k, h[6], -1) < 0 then redis.call('HSET', busy_k, h[6], 0) end
    redis.call('DEL', ck)
    local lk = lead_prefix .. h[5]
    local l = redis.call('HMGET', lk, 'state', 'call')
    if l[1] == 'dialing' and l[2] == call then
      redis.call('HSET', lk, 'state', 'queued', 'next_call', call)
      redis.call('ZADD', hopper_k, -2e12, h[5])  -- ahead of every lead (a recall jumping ahead: -1e12)
    end
    n = n + 1
  end
end
return n
