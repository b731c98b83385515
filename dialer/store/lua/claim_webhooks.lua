-- claim_webhooks.lua: take due webhook deliveries for one sender, with a lease, at most
-- ``per_host`` in flight per receiver (host:port). A delivery is pushed back by the lease,
-- so if its sender dies another takes it.
-- Of the first ``scan`` due deliveries, one whose receiver is at its cap is not claimed: it
-- goes to the back of the due line (due now; no try counted, nothing else changed), so a
-- backlog for one slow receiver never hides the deliveries behind it from the next claims.
-- KEYS: the due line (webhooks), the delivery key PREFIX (e.g. 'autocall:webhook:'): the deliveries
-- are the ones read from the due line here, so their keys are built from the declared prefix
-- (docs/redis-keys.md, "Keys the scripts touch").
-- ARGV: now ms, lease expiry ms, limit, per_host (0: no cap), scan,
--       then receiver, in flight, receiver, in flight, ... (what this sender is sending now)
-- Returns id, receiver, id, receiver, ...
local k, webhook_prefix = KEYS[1], KEYS[2]
local now, limit, cap = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4])
local busy = {}
for i = 6, #ARGV, 2 do busy[ARGV[i]] = tonumber(ARGV[i + 1]) end

-- host:port of a URL, lower case, userinfo dropped, the scheme's port when none is given
local function receiver(url)
  local scheme, rest = string.match(url or '', '^(%a[%w+.-]*)://(.*)$')
  if not scheme then return '' end
  local authority = string.lower(string.match(rest, '^[^/?#]*'))
  authority = string.match(authority, '^.*@(.*)$') or authority
  if not string.match(authority, ':%d+$') then
    authority = authority .. ':' .. (string.lower(scheme) == 'https' and '443' or '80')
  end
  return authority
end

local out, taken = {}, 0
local window = cap > 0 and tonumber(ARGV[5]) or limit
local ids = redis.call('ZRANGE', k, '-inf', now, 'BYSCORE', 'LIMIT', 0, window)
for _, id in ipairs(ids) do
  if taken >= limit then break end
  local host = receiver(redis.call('HGET', webhook_prefix .. id, 'url'))
  local n = busy[host] or 0
  if cap > 0 and n >= cap then
    redis.call('ZADD', k, now, id)
  else
    busy[host] = n + 1
    taken = taken + 1
    redis.call('ZADD', k, ARGV[2], id)
    out[#out + 1] = id
    out[#out + 1] = host
  end
end
return out
