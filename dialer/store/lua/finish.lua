-- finish.lua: record finished attempts, in one atomic step each.
--
-- For each attempt still holding its slot: release the slot and its network
-- count, write the CDR into the call hash, index it, append it to the lead's
-- history, update the lead, requeue it (recall, or retry that does not count)
-- unless it was put on the do-not-call list meanwhile, add the report
-- counters (and an autodialer attempt's sample to its campaign's per-minute
-- call stats, for its pacer), and queue the webhooks. An attempt whose slot is already gone
-- (finished before, or reaped) is skipped: no attempt is counted twice.
--
-- Redis work per attempt is kept to five commands (the hangups kept in its call hash, the CDR, the
-- lead's history, its do-not-call flag, the lead): slots, network counts, the CDR index, the queues,
-- the report counters and the webhook line are gathered per campaign and written once per batch,
-- with the same result as writing them attempt by attempt (issue 17).
--
-- The batch is written only if the caller sealed it right: ARGV[4] says, per campaign, whether
-- it sealed that campaign's attempts (enable_encrypt, dialer/store/sealed_fields.py). When one
-- campaign's enable_encrypt says otherwise, nothing is written and the answer names it.
--
-- KEYS: webhooks (the due line), seq:webhook, then the key PREFIXES of campaigns, calls, leads and
--       webhook deliveries (e.g. 'autocall:campaign:', 'autocall:call:', 'autocall:lead:',
--       'autocall:webhook:'), agent-extensions, the agent key PREFIX ('autocall:agent:').
-- A batch spans campaigns, each finish naming its own campaign, call and lead, a delivery's
-- id comes from seq:webhook here, and the agent whose wrap-up time a call stats sample adds is
-- the one the extension index names, so those keys are built from the declared prefixes
-- (docs/redis-keys.md, "Keys the scripts touch").
-- ARGV: now ms, JSON list of finishes (each a list, see dialer/store/records.py Finish.as_lua),
--       JSON list of the call hash's field names per record shape (the CDR values come in this
--       order), JSON {campaign: 1 sealed / 0 not}
-- Returns {the call uuids recorded, the campaigns sealed wrong: [campaign, 1 | 0, ...]}.

local webhooks_k, seq_k = KEYS[1], KEYS[2]
local campaign_prefix, call_prefix, lead_prefix, webhook_prefix = KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local extensions_k, agent_prefix = KEYS[7], KEYS[8]
local now = tonumber(ARGV[1])
local batch = cjson.decode(ARGV[2])
local shapes = cjson.decode(ARGV[3])
local sealed_as = cjson.decode(ARGV[4])
-- The positions in a finish (Finish.as_lua).
local CAMPAIGN, LEAD, CALL, NETWORK, END_MS, HOUR, SHAPE, CDR, LEAD_UPDATE = 1, 2, 3, 4, 5, 6, 7, 8, 9
local REPORTED, REQUEUE, DUE_MS, NEXT_CALL, STATS, WEBHOOKS, CALL_STATS, WRAP_AGENT = 10, 11, 12, 13, 14, 15, 16, 17
-- Call stats: one hash per campaign and minute (of the attempt's end), kept a day after that minute.
local MINUTE_MS, KEEP_MINUTES = 60000, 1441

-- The wrap-up time (s) mod_callcenter gives the agent with this extension after a call: the
-- agent's operator-written wrap_up_time; 0 for an extension that is no agent (deleted meanwhile).
local wraps = {}
local function wrap_up(extension)
  local wrap = wraps[extension]
  if wrap ~= nil then return wrap end
  wrap = 0
  local uuid = redis.call('HGET', extensions_k, extension)
  local raw = uuid and redis.call('HGET', agent_prefix .. uuid, 'json')
  if raw then
    local ok, agent = pcall(cjson.decode, raw)
    if ok and type(agent) == 'table' then wrap = tonumber(agent['wrap_up_time']) or 0 end
  end
  wraps[extension] = wrap
  return wrap
end

-- One command for many members, in slices: Lua's unpack has a stack limit (~8,000 values).
local function each_slice(cmd, key, items)
  for i = 1, #items, 1000 do redis.call(cmd, key, unpack(items, i, math.min(i + 999, #items))) end
end

-- The batch's campaigns, in order, with their attempts.
local campaigns, by_campaign = {}, {}
for _, f in ipairs(batch) do
  local c = f[CAMPAIGN]
  if not by_campaign[c] then by_campaign[c] = {}; campaigns[#campaigns + 1] = c end
  local list = by_campaign[c]
  list[#list + 1] = f
end

local wrong = {}
for _, c in ipairs(campaigns) do
  local sealed = redis.call('HGET', campaign_prefix .. c, 'enable_encrypt') == 'true'
  if sealed ~= (tonumber(sealed_as[c]) == 1) then
    wrong[#wrong + 1] = c
    wrong[#wrong + 1] = sealed and 1 or 0
  end
end
if #wrong > 0 then return {{}, wrong} end

-- Which attempts still hold their slot: one read per campaign, one release.
local recorded = {}  -- campaign .. ' ' .. call -> true
for _, c in ipairs(campaigns) do
  local ck, calls, list = campaign_prefix .. c, {}, by_campaign[c]
  for i, f in ipairs(list) do calls[i] = f[CALL] end
  local held = {}
  for i = 1, #calls, 1000 do
    local part = redis.call('ZMSCORE', ck .. ':calls', unpack(calls, i, math.min(i + 999, #calls)))
    for j = 1, #part do if part[j] then held[calls[i + j - 1]] = true end end
  end
  local released = {}
  for _, call in ipairs(calls) do
    if held[call] then
      held[call] = nil  -- the same call twice in a batch is recorded once
      recorded[c .. ' ' .. call] = true
      released[#released + 1] = call
    end
  end
  each_slice('ZREM', ck .. ':calls', released)
end

local done = {}
local busy, cdrs, queued, counters, hooks, minutes = {}, {}, {}, {}, {}, {}
local function add(tbl, key, value)
  local list = tbl[key]
  if not list then list = {}; tbl[key] = list; tbl[#tbl + 1] = key end
  list[#list + 1] = value
  return list
end
for _, f in ipairs(batch) do
  local c, call = f[CAMPAIGN], f[CALL]
  if recorded[c .. ' ' .. call] then
    recorded[c .. ' ' .. call] = nil
    local ck = campaign_prefix .. c
    add(busy, ck .. ':busy', f[NETWORK])
    local callk = call_prefix .. call
    local gone = {}
    for _, field in ipairs(redis.call('HKEYS', callk)) do  -- hangups kept for an adopter (keep_hangups.lua)
      if string.sub(field, 1, 7) == 'hangup:' then gone[#gone + 1] = field end
    end
    each_slice('HDEL', callk, gone)
    local names, values = shapes[f[SHAPE]], f[CDR]
    if #values > 0 then
      local pairs_ = {}
      for i, name in ipairs(names) do
        pairs_[2 * i - 1] = name
        pairs_[2 * i] = values[i]
      end
      redis.call('HSET', callk, unpack(pairs_))
    end
    local index = add(cdrs, ck .. ':cdrs', f[END_MS])
    index[#index + 1] = call
    local lk = lead_prefix .. f[LEAD]
    local reported = f[REPORTED] == 1
    if reported then redis.call('RPUSH', lk .. ':calls', call) end
    -- The lead update never names dnc: reading it first reads what the update leaves.
    local dnc = redis.call('HGET', lk, 'dnc') == '1'
    local update = f[LEAD_UPDATE]
    if f[REQUEUE] ~= '' and not dnc then
      local queue = add(queued, ck .. ':' .. f[REQUEUE], f[DUE_MS])
      queue[#queue + 1] = f[LEAD]
      update[#update + 1] = 'state'; update[#update + 1] = 'queued'
      update[#update + 1] = 'next_call'; update[#update + 1] = f[NEXT_CALL]
    else
      update[#update + 1] = 'state'; update[#update + 1] = 'done'
    end
    redis.call('HSET', lk, unpack(update))
    if reported then
      local stats = f[STATS]
      for i = 1, #stats, 2 do
        local sk = ck .. ':stats:' .. f[HOUR]
        if not counters[sk] then counters[sk] = {}; counters[#counters + 1] = sk end
        local sums = counters[sk]
        if not sums[stats[i]] then sums[stats[i]] = 0; sums[#sums + 1] = stats[i] end
        sums[stats[i]] = sums[stats[i]] + stats[i + 1]
      end
      local sample = f[CALL_STATS] or {}
      if #sample > 0 then
        local minute = math.floor(f[END_MS] / MINUTE_MS)
        local mk = ck .. ':callstats:' .. string.format('%d', minute)
        if not counters[mk] then counters[mk] = {}; counters[#counters + 1] = mk; minutes[mk] = minute end
        local sums = counters[mk]
        if (f[WRAP_AGENT] or '') ~= '' then
          sample[#sample + 1] = 'wrap_s'; sample[#sample + 1] = wrap_up(f[WRAP_AGENT])
        end
        for i = 1, #sample, 2 do
          if not sums[sample[i]] then sums[sample[i]] = 0; sums[#sums + 1] = sample[i] end
          sums[sample[i]] = sums[sample[i]] + sample[i + 1]
        end
      end
    end
    local webhooks = f[WEBHOOKS]
    for i = 1, #webhooks, 2 do hooks[#hooks + 1] = {webhooks[i], webhooks[i + 1], c, call} end
    done[#done + 1] = call
  end
end

-- A network count never goes below 0 (one clamp after n decrements is n clamps).
for _, key in ipairs(busy) do
  local per_net = {}
  for _, net in ipairs(busy[key]) do add(per_net, net, 1) end
  for _, net in ipairs(per_net) do
    if redis.call('HINCRBY', key, net, -#per_net[net]) < 0 then redis.call('HSET', key, net, 0) end
  end
end
for _, key in ipairs(cdrs) do each_slice('ZADD', key, cdrs[key]) end
for _, key in ipairs(queued) do each_slice('ZADD', key, queued[key]) end
for _, sk in ipairs(counters) do
  local sums = counters[sk]
  for _, name in ipairs(sums) do redis.call('HINCRBY', sk, name, string.format('%d', sums[name])) end
  local minute = minutes[sk]
  if minute then  -- a call stats minute: gone a day after it (never sooner than a minute from now)
    redis.call('PEXPIRE', sk, string.format('%d', math.max(MINUTE_MS, (minute + KEEP_MINUTES) * MINUTE_MS - now)))
  end
end
if #hooks > 0 then
  -- The ids INCR would have handed out one delivery at a time.
  local id = redis.call('INCRBY', seq_k, #hooks) - #hooks
  local due = {}
  for i, hook in ipairs(hooks) do
    redis.call('HSET', webhook_prefix .. (id + i), 'url', hook[1], 'body', hook[2], 'tries', 0,
               'campaign', hook[3], 'call', hook[4])
    due[#due + 1] = now
    due[#due + 1] = id + i
  end
  each_slice('ZADD', webhooks_k, due)
end
return {done, {}}
