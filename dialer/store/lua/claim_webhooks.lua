-- claim_webhooks.lua: forget the deliveries a sender delivered, then take due ones for it, with a
-- lease, at most ``per_host`` connections per receiver (host:port). A delivery is pushed back by the
-- lease, so if its sender dies another takes it.
-- A sender sends a receiver's deliveries over connections, each holding at most ``ahead`` of them (sent
-- one after another): a due delivery is taken by opening a connection to its receiver, when it has fewer
-- than ``per_host`` and the sender has a ``free`` slot (spreading a receiver's deliveries over its
-- connections), else into the ``room`` left in the connections it has. With ``ahead`` 1 a connection is
-- one delivery in flight.
-- Of the first ``scan`` due deliveries, one whose receiver has ``per_host`` connections and no room
-- left is not claimed: it goes to the back of the due line (due now; no try counted, nothing else
-- changed), so a backlog for one slow receiver never hides the deliveries behind it from the next
-- claims. One that waits only for a free slot keeps its place.
-- KEYS: the due line (webhooks), the delivery key PREFIX (e.g. 'autocall:webhook:'): the deliveries
-- are the ones read from the due line or given here, so their keys are built from the declared prefix
-- (docs/redis-keys.md, "Keys the scripts touch").
-- ARGV: now ms, lease expiry ms, limit, per_host (0: no cap), scan, ahead, free, with fields (1/0),
--       delivered count, that many delivered ids,
--       then receiver, connections, room, receiver, connections, room, ... (what this sender holds now)
-- Returns id, receiver, id, receiver, ...; with fields: whether more is due than was taken (1/0), then
-- id, receiver, the delivery's hash as HGETALL gives it, id, receiver, hash, ...
local k, webhook_prefix = KEYS[1], KEYS[2]
local now, limit, cap = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4])
local ahead, free, with_fields = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8] == '1'
local delivered = tonumber(ARGV[9])
for i = 10, 9 + delivered do
  redis.call('DEL', webhook_prefix .. ARGV[i])
  redis.call('ZREM', k, ARGV[i])
end
local conns, room = {}, {}
for i = 10 + delivered, #ARGV, 3 do
  conns[ARGV[i]] = tonumber(ARGV[i + 1])
  room[ARGV[i]] = tonumber(ARGV[i + 2])
end

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
local ids = limit > 0 and redis.call('ZRANGE', k, '-inf', now, 'BYSCORE', 'LIMIT', 0, window) or {}
for _, id in ipairs(ids) do
  if taken >= limit then break end
  local key = webhook_prefix .. id
  local host = receiver(redis.call('HGET', key, 'url'))
  local n, left = conns[host] or 0, room[host] or 0
  local open = free > 0 and (cap == 0 or n < cap)
  if open or left > 0 then
    if open then
      n, free, left = n + 1, free - 1, left + ahead
    end
    conns[host], room[host] = n, left - 1
    taken = taken + 1
    redis.call('ZADD', k, ARGV[2], id)
    out[#out + 1] = id
    out[#out + 1] = host
    if with_fields then out[#out + 1] = redis.call('HGETALL', key) end
  elseif cap > 0 and n >= cap then
    redis.call('ZADD', k, now, id)
  end -- else no free slot to open a connection with: it keeps its place in the due line
end
if with_fields then
  local more = (taken < #ids or (window > 0 and #ids == window)) and 1 or 0
  table.insert(out, 1, more)
end
return out
