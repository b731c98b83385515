-- commit_leads.lua: make an import's leads dialable, all of them or none, in one step.
--
-- The leads are either given whole (a small import: their hash fields are in ARGV[11]) or were
-- staged by dialer/store/imports.py: hashes written with a TTL, reachable from no queue, under
-- the marker import:<id> (which expires first). Nothing is written when
--   * the request's Idempotency-Key already has an answer (it is returned instead),
--   * the campaign is gone or deleted,
--   * the staging expired, or a staged hash is missing (evicted: only a policy other than
--     noeviction can do that),
--   * Redis is over its maxmemory (the first write is a SET, which Redis refuses then),
--   * a row is a duplicate: its customer id is taken (by any lead, or with pending_only by a
--     lead with calls pending), or one of its numbers belongs to a lead with calls pending
--     (state queued or dialing). The clashes are returned; the caller drops those rows and
--     commits again.
-- Otherwise every row is queued in :fresh and :leads, indexed in :external and :numbers, its
-- hash made permanent (or written), flagged do-not-call if its customer is on the list; the
-- rows the caller dropped are unlinked, the marker deleted, the answer remembered under the
-- Idempotency-Key, the campaign started when asked (a VBot creation: its mark in
-- campaigns-creating goes too), and the engines woken.
--
-- It holds Redis for about 0.5 s per 100,000 rows (docs/api-v3.md, "Bulk import").
--
-- KEYS: the campaign hash, its external, numbers, fresh, leads, dnc, the import's marker (unused
--       when the rows are given whole), the Idempotency-Key's answer (unused when none), running,
--       campaigns-creating, then the lead key PREFIX (e.g. 'autocall:lead:').
-- The leads a customer id or a number is indexed to are read here (their state decides a clash),
-- so their keys, like those of the rows, are built from the declared prefix (docs/redis-keys.md,
-- "Keys the scripts touch").
-- ARGV: campaign uuid, import id ('' = rows given whole), now ms, pending_only ('1'/'0'),
--       row count, JSON list of staged leads to drop, '1' when an answer is to be remembered, answer,
--       answer TTL ms, start ('1': set the campaign's status to start),
--       JSON list of each row's hash values as stage_leads.lua takes them ('' when staged),
--       the events channel, then one JSON list holding per row: lead uuid, customer id, its number
--       index fields separated by spaces (one argument: 300,000 of them cost the API's hub ~0.1 s
--       to pack).
-- Returns JSON: {ok = n} | {replay = answer} | {missing = campaign} | {expired = id} | {lost = n} |
--   {clashes = [[row (0-based), lead, 'external_id' | 'phone_number', number index (0-based), its customer id]]}
local ck, external_k, numbers_k, fresh_k, leads_k, dnc_k = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local marker, idem, running_k, creating_k, lead_prefix = KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]
local camp, import, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local pending_only, remember, events = ARGV[4] == '1', ARGV[7] == '1', ARGV[12]
local CHUNK = 1000 -- arguments per command: Lua's unpack() stops at a few thousand

if remember then
  local prior = redis.call('GET', idem)
  if prior then return cjson.encode({replay = prior}) end
end
local c = redis.call('HMGET', ck, 'campaign_name', 'deleted')
if not c[1] or c[2] == '1' then return cjson.encode({missing = camp}) end
if import ~= '' and redis.call('EXISTS', marker) == 0 then return cjson.encode({expired = import}) end

local count = tonumber(ARGV[5])
local drop = cjson.decode(ARGV[6])
local hashes = false
if ARGV[11] ~= '' then hashes = cjson.decode(ARGV[11]) end
local flat = cjson.decode(ARGV[13])

local states = {}
local function pending(lead)
  local s = states[lead]
  if s == nil then
    s = redis.call('HGET', lead_prefix .. lead, 'state') or false
    states[lead] = s
  end
  return s == 'queued' or s == 'dialing'
end

local function lookup(key, fields)
  local out = {}
  for base = 1, #fields, CHUNK do
    local got = redis.call('HMGET', key, unpack(fields, base, math.min(base + CHUNK - 1, #fields)))
    for i = 1, #got do out[base + i - 1] = got[i] end
  end
  return out
end

local lead_of = {}
local ext_f, ext_row, num_f, num_row, num_pos = {}, {}, {}, {}, {}
for i = 1, count do
  local at = 3 * (i - 1) + 1
  lead_of[i] = flat[at]
  local ext, keys = flat[at + 1], flat[at + 2]
  if ext ~= '' then
    ext_f[#ext_f + 1] = ext
    ext_row[#ext_f] = i
  end
  if keys == '' then -- (every lead has a number)
  elseif not string.find(keys, ' ', 1, true) then
    num_f[#num_f + 1] = keys
    num_row[#num_f] = i
    num_pos[#num_f] = 1
  else
    local j = 0
    for k in string.gmatch(keys, '%S+') do
      j = j + 1
      num_f[#num_f + 1] = k
      num_row[#num_f] = i
      num_pos[#num_f] = j
    end
  end
end

local clashes = {}
local hits = lookup(external_k, ext_f)
for n = 1, #ext_f do
  local lead = hits[n]
  if lead and (not pending_only or pending(lead)) then
    clashes[#clashes + 1] = {ext_row[n] - 1, lead, 'external_id', 0, ext_f[n]}
  end
end
hits = lookup(numbers_k, num_f)
for n = 1, #num_f do
  local lead = hits[n]
  if lead and pending(lead) then
    local owner = redis.call('HGET', lead_prefix .. lead, 'external_id') or ''
    clashes[#clashes + 1] = {num_row[n] - 1, lead, 'phone_number', num_pos[n] - 1, owner}
  end
end
if #clashes > 0 then return cjson.encode({clashes = clashes}) end

-- Checks done. The first write is a SET (Redis refuses it over maxmemory, before anything is
-- written); a staged hash found missing by PERSIST gets its TTL back and nothing else is written.
if import ~= '' then
  redis.call('SET', marker, 'committing', 'KEEPTTL')
  local ttl = redis.call('PTTL', marker)
  local kept = {}
  for i = 1, count do
    if redis.call('PERSIST', lead_prefix .. lead_of[i]) == 1 then kept[#kept + 1] = lead_of[i] end
  end
  if #kept < count then
    for _, lead in ipairs(kept) do redis.call('PEXPIRE', lead_prefix .. lead, ttl) end
    return cjson.encode({lost = count - #kept})
  end
elseif count > 0 then -- the hash stage_leads.lua writes
  for i = 1, count do
    local l = hashes[i]
    redis.call('HSET', lead_prefix .. lead_of[i], 'campaign', camp, 'external_id', l[2], 'numbers', l[3],
               'networks', l[4], 'fields', l[5], 'state', 'queued', 'attempts', 0, 'number_idx', 0,
               'next_call', l[6], 'first_call', l[6], 'created_ms', now, 'max_attempts', l[7])
  end
end

local function zadd(key)
  local args = {}
  for i = 1, count do
    args[#args + 1] = now
    args[#args + 1] = lead_of[i]
    if #args >= 2 * CHUNK or i == count then
      redis.call('ZADD', key, unpack(args))
      args = {}
    end
  end
end
local function index(key, fields, row_of)
  local args = {}
  for n = 1, #fields do
    args[#args + 1] = fields[n]
    args[#args + 1] = lead_of[row_of[n]]
    if #args >= 2 * CHUNK or n == #fields then
      redis.call('HSET', key, unpack(args))
      args = {}
    end
  end
end

if count > 0 then
  zadd(fresh_k)
  zadd(leads_k)
  index(external_k, ext_f, ext_row)
  index(numbers_k, num_f, num_row)
  if #ext_f > 0 and redis.call('EXISTS', dnc_k) == 1 then
    for base = 1, #ext_f, CHUNK do
      local last = math.min(base + CHUNK - 1, #ext_f)
      local on = redis.call('SMISMEMBER', dnc_k, unpack(ext_f, base, last))
      for i = 1, #on do
        if on[i] == 1 then redis.call('HSET', lead_prefix .. lead_of[ext_row[base + i - 1]], 'dnc', '1') end
      end
    end
  end
end
for base = 1, #drop, CHUNK do
  local keys = {}
  for i = base, math.min(base + CHUNK - 1, #drop) do keys[#keys + 1] = lead_prefix .. drop[i] end
  redis.call('UNLINK', unpack(keys))
end
if import ~= '' then redis.call('DEL', marker) end
if remember then redis.call('SET', idem, ARGV[8], 'PX', tonumber(ARGV[9])) end
if ARGV[10] == '1' then
  redis.call('HSET', ck, 'status', 'start')
  redis.call('SADD', running_k, camp)
  if redis.call('HGET', creating_k, c[1]) == camp then
    redis.call('HDEL', creating_k, c[1])
  end
  redis.call('PUBLISH', events, 'changed ' .. camp)
end
if count > 0 then redis.call('PUBLISH', events, 'wake ' .. camp) end
return cjson.encode({ok = count})
