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
--       fresh call uuids separated by spaces (read only as far as needed; when they run out, the
--       claim ends there), owner (the claiming engine's id: engine adoption, docs/engine.md)
-- Returns JSON {busy=<in flight after>, cap=<cap>, next_due=<ms or -1>, claims=[...]}
--
-- Redis work per lead is kept to three commands (read the lead, mark it dialing, create the call
-- hash): the moves between sorted sets, the order counter and the network counts are gathered here
-- and written once per claim, with the same result as writing them lead by lead (issue 17).

local ck, calls_k, busy_k, hopper_k, fresh_k, recalls_k, seq_k = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5],
                                                                  KEYS[6], KEYS[7]
local lead_prefix, call_prefix = KEYS[8], KEYS[9]
local camp = ARGV[1]
local now, want, node, lease = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local uuids, uuid_at = ARGV[6], 1
local function fresh_uuid()
  local first, last = string.find(uuids, '[^ ]+', uuid_at)
  if not first then return nil end
  uuid_at = last + 1
  return string.sub(uuids, first, last)
end
local owner = ARGV[7] or ''

-- One command for many members, in slices: Lua's unpack has a stack limit (~8,000 values).
local function each_slice(cmd, key, items)
  for i = 1, #items, 1000 do redis.call(cmd, key, unpack(items, i, math.min(i + 999, #items))) end
end

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
  local fi, ri = 1, 1
  local moved, from_fresh, from_recalls = {}, {}, {}  -- moved: {lead, is a recall jumping ahead}
  while #moved < need and (fi <= #f or ri <= #r) do
    local take_recall
    if ri > #r then take_recall = false
    elseif fi > #f then take_recall = true
    elseif recall_first then take_recall = true
    else take_recall = tonumber(r[ri + 1]) < tonumber(f[fi + 1]) end
    local lead
    if take_recall then lead = r[ri]; ri = ri + 2; from_recalls[#from_recalls + 1] = lead
    else lead = f[fi]; fi = fi + 2; from_fresh[#from_fresh + 1] = lead end
    -- priority_recall=recall: recalls go ahead of every fresh lead already pre-loaded.
    moved[#moved + 1] = {lead, take_recall and recall_first}
  end
  if #moved > 0 then
    each_slice('ZREM', fresh_k, from_fresh)
    each_slice('ZREM', recalls_k, from_recalls)
    -- The orders INCR would have handed out one lead at a time.
    local order = redis.call('INCRBY', seq_k, #moved) - #moved
    local scored = {}
    for i, m in ipairs(moved) do
      local o = order + i
      if m[2] then o = o - 1e12 end
      scored[#scored + 1] = o
      scored[#scored + 1] = m[1]
    end
    each_slice('ZADD', hopper_k, scored)
  end
end

local caps = {}
if c[4] and c[4] ~= '' then caps = cjson.decode(c[4]) end
local direct = c[8] == 'direct' or not c[8]
local scan = math.max(free * 4, 64)
local ids = redis.call('ZRANGE', hopper_k, 0, scan - 1)
local claims, n = {}, 0
local leaving, slots, busy, taken, nets_taken = {}, {}, {}, {}, {}
for _, lead in ipairs(ids) do
  if n >= free then break end
  local lk = lead_prefix .. lead
  local l = redis.call('HMGET', lk, 'state', 'dnc', 'networks', 'number_idx', 'next_call', 'numbers', 'fields',
                       'attempts', 'first_attempt_ms', 'external_id', 'max_attempts', 'switch_cuts')
  if l[1] ~= 'queued' or l[2] == '1' then
    -- Do-not-call, deleted or already finished: it leaves the hopper for good.
    leaving[#leaving + 1] = lead
    if l[1] == 'queued' then redis.call('HSET', lk, 'state', 'done') end
  else
    local nets = cjson.decode(l[3])
    local idx = tonumber(l[4]) or 0
    local net = nets[1]
    if direct then net = nets[(idx % #nets) + 1] end
    local ncap = tonumber(caps[net] or 0) or 0
    if ncap ~= 0 and busy[net] == nil then busy[net] = tonumber(redis.call('HGET', busy_k, net)) or 0 end
    if ncap == 0 or busy[net] < ncap then
      local call = l[5]
      if not call or call == '' then call = fresh_uuid() end
      if not call then break end
      leaving[#leaving + 1] = lead
      slots[#slots + 1] = now + lease
      slots[#slots + 1] = call
      if busy[net] then busy[net] = busy[net] + 1 end
      if not taken[net] then taken[net] = 0; nets_taken[#nets_taken + 1] = net end
      taken[net] = taken[net] + 1
      redis.call('HSET', lk, 'state', 'dialing', 'call', call, 'next_call', '')
      redis.call('HSET', call_prefix .. call, 'campaign', camp, 'lead', lead, 'network', net,
                 'node', node, 'owner', owner, 'state', 'dialing', 'start_ms', now)
      claims[#claims + 1] = {lead, call, net, idx, l[6], l[7], tonumber(l[8]) or 0,
                             tonumber(l[9]) or 0, l[10] or '', tonumber(l[11]) or 0, tonumber(l[12]) or 0}
      n = n + 1
    end
  end
end
each_slice('ZREM', hopper_k, leaving)
each_slice('ZADD', calls_k, slots)
for _, net in ipairs(nets_taken) do redis.call('HINCRBY', busy_k, net, taken[net]) end
return cjson.encode({busy = in_flight + n, cap = cap, next_due = next_due(), claims = claims})
