-- The claim.lua of before issue 17 (its writes lead by lead): tests/test_store_batched_writes.py checks the
-- batched claim.lua stores exactly what this one stored.
-- claim.lua: take up to N call slots of one campaign and the leads to dial in them.
--
-- One atomic step: refill the hopper from the due queues, then for each lead
-- in hopper order whose network is under its cap: remove it from the hopper,
-- take a slot (a lease in :calls), count it in :busy, mark the lead dialing
-- and create the call hash. Leads never exist outside a queue, the hopper,
-- or :calls, so a crash between two scripts cannot lose one.
--
-- KEYS: the campaign hash, its calls, busy, hopper, fresh, recalls, hopper-seq, then the lead key
--       PREFIX (e.g. 'autocall:lead:') and the call key PREFIX (e.g. 'autocall:call:').
-- The leads are the ones this script takes from the hopper and the queues, and a call's uuid is
-- the lead's own next call or one of ARGV[6], so those keys cannot be declared before the call:
-- they are built from the declared prefixes (docs/redis-keys.md, "Keys the scripts touch").
-- ARGV: campaign uuid (written in the call hash), now ms, max claims, node, lease ms,
--       JSON list of fresh call uuids, owner (the claiming engine's id: engine adoption, docs/engine.md)
-- Returns JSON {busy=<in flight after>, cap=<cap>, next_due=<ms or -1>, claims=[...]}

local ck, calls_k, busy_k, hopper_k, fresh_k, recalls_k, seq_k = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5],
                                                                  KEYS[6], KEYS[7]
local lead_prefix, call_prefix = KEYS[8], KEYS[9]
local camp = ARGV[1]
local now, want, node, lease = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local uuids = cjson.decode(ARGV[6])
local owner = ARGV[7] or ''

local c = redis.call('HMGET', ck, 'status', 'active', 'concurrent_call', 'network', 'hopper',
                     'priority_recall', 'schedule_recall', 'mode_call')
local cap = tonumber(c[3]) or 1
local in_flight = redis.call('ZCARD', calls_k)

local function next_due()
  local r = redis.call('ZRANGE', recalls_k, 0, 0, 'WITHSCORES')
  if #r > 0 then return tonumber(r[2]) end
  return -1
end

if c[1] ~= 'start' or c[2] ~= 'true' then
  return cjson.encode({busy = in_flight, cap = cap, next_due = -1, claims = {}, stopped = true})
end
local free = math.min(cap - in_flight, want)
if free <= 0 then
  return cjson.encode({busy = in_flight, cap = cap, next_due = -1, claims = {}})
end

-- Refill the hopper up to its size, in dialling order.
local hopper_size = tonumber(c[5]) or 0
if hopper_size <= 0 then hopper_size = math.max(20, 2 * cap) end
local have = redis.call('ZCARD', hopper_k)
if have < hopper_size then
  local need = hopper_size - have
  local recall_first = c[6] == 'recall'
  -- schedule_recall=after: recalls wait until every fresh lead had its first attempt.
  local recalls_open = c[7] ~= 'after' or redis.call('ZCARD', fresh_k) == 0
  local f = redis.call('ZRANGE', fresh_k, '-inf', now, 'BYSCORE', 'LIMIT', 0, need, 'WITHSCORES')
  local r = {}
  if recalls_open then
    r = redis.call('ZRANGE', recalls_k, '-inf', now, 'BYSCORE', 'LIMIT', 0, need, 'WITHSCORES')
  end
  local fi, ri, moved = 1, 1, 0
  while moved < need and (fi <= #f or ri <= #r) do
    local take_recall
    if ri > #r then take_recall = false
    elseif fi > #f then take_recall = true
    elseif recall_first then take_recall = true
    else take_recall = tonumber(r[ri + 1]) < tonumber(f[fi + 1]) end
    local lead, src
    if take_recall then lead, src = r[ri], recalls_k; ri = ri + 2
    else lead, src = f[fi], fresh_k; fi = fi + 2 end
    redis.call('ZREM', src, lead)
    local order = redis.call('INCR', seq_k)
    -- priority_recall=recall: recalls go ahead of every fresh lead already pre-loaded.
    if take_recall and recall_first then order = order - 1e12 end
    redis.call('ZADD', hopper_k, order, lead)
    moved = moved + 1
  end
end

local caps = {}
if c[4] and c[4] ~= '' then caps = cjson.decode(c[4]) end
local direct = c[8] == 'direct' or not c[8]
local scan = math.max(free * 4, 64)
local ids = redis.call('ZRANGE', hopper_k, 0, scan - 1)
local claims, n, ui = {}, 0, 1
for _, lead in ipairs(ids) do
  if n >= free then break end
  local lk = lead_prefix .. lead
  local l = redis.call('HMGET', lk, 'state', 'dnc', 'networks', 'number_idx', 'next_call')
  if l[1] ~= 'queued' or l[2] == '1' then
    -- Do-not-call, deleted or already finished: it leaves the hopper for good.
    redis.call('ZREM', hopper_k, lead)
    if l[1] == 'queued' then redis.call('HSET', lk, 'state', 'done') end
  else
    local nets = cjson.decode(l[3])
    local idx = tonumber(l[4]) or 0
    local net = nets[1]
    if direct then net = nets[(idx % #nets) + 1] end
    local ncap = tonumber(caps[net] or 0) or 0
    if ncap == 0 or (tonumber(redis.call('HGET', busy_k, net)) or 0) < ncap then
      local call = l[5]
      if not call or call == '' then call = uuids[ui]; ui = ui + 1 end
      redis.call('ZREM', hopper_k, lead)
      redis.call('ZADD', calls_k, now + lease, call)
      redis.call('HINCRBY', busy_k, net, 1)
      redis.call('HSET', lk, 'state', 'dialing', 'call', call, 'next_call', '')
      redis.call('HSET', call_prefix .. call, 'campaign', camp, 'lead', lead, 'network', net,
                 'node', node, 'owner', owner, 'state', 'dialing', 'start_ms', now)
      local d = redis.call('HMGET', lk, 'numbers', 'fields', 'attempts', 'first_attempt_ms', 'external_id',
                           'max_attempts', 'switch_cuts')
      claims[#claims + 1] = {lead, call, net, idx, d[1], d[2], tonumber(d[3]) or 0,
                             tonumber(d[4]) or 0, d[5] or '', tonumber(d[6]) or 0, tonumber(d[7]) or 0}
      n = n + 1
    end
  end
end
return cjson.encode({busy = in_flight + n, cap = cap, next_due = next_due(), claims = claims})
