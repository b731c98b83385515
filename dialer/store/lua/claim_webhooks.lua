-- claim_webhooks.lua: take due webhook deliveries for one sender, with a lease.
-- A delivery is pushed back by the lease, so if its sender dies another takes it.
-- ARGV: prefix, now ms, lease expiry ms, limit
local k = ARGV[1] .. ':webhooks'
local ids = redis.call('ZRANGE', k, '-inf', ARGV[2], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[4]))
for _, id in ipairs(ids) do redis.call('ZADD', k, ARGV[3], id) end
return ids
