-- The finish.lua of before issue 17 (its writes attempt by attempt): tests/test_store_batched_writes.py
-- checks the batched finish.lua stores exactly what this one stored.
-- finish.lua: record finished attempts, in one atomic step each.
--
-- For each attempt still holding its slot: release the slot and its network
-- count, write the CDR into the call hash, index it, append it to the lead's
-- history, update the lead, requeue it (recall, or retry that does not count)
-- unless it was put on the do-not-call list meanwhile, add the report
-- counters, and queue the webhooks. An attempt whose slot is already gone
-- (finished before, or reaped) is skipped: no attempt is counted twice.
--
-- KEYS: webhooks (the due line), seq:webhook, then the key PREFIXES of campaigns, calls, leads and
--       webhook deliveries (e.g. 'autocall:campaign:', 'autocall:call:', 'autocall:lead:',
--       'autocall:webhook:').
-- A batch spans campaigns, each finish naming its own campaign, call and lead, and a delivery's
-- id comes from seq:webhook here, so those keys are built from the declared prefixes
-- (docs/redis-keys.md, "Keys the scripts touch").
-- ARGV: now ms, JSON list of finishes (see dialer/store/records.py Finish)
-- Returns the call uuids recorded.

local webhooks_k, seq_k = KEYS[1], KEYS[2]
local campaign_prefix, call_prefix, lead_prefix, webhook_prefix = KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local now = tonumber(ARGV[1])
local batch = cjson.decode(ARGV[2])
local done = {}
for _, f in ipairs(batch) do
  local ck = campaign_prefix .. f.campaign
  if redis.call('ZREM', ck .. ':calls', f.call) == 1 then
    if redis.call('HINCRBY', ck .. ':busy', f.network, -1) < 0 then
      redis.call('HSET', ck .. ':busy', f.network, 0)
    end
    local callk = call_prefix .. f.call
    for _, field in ipairs(redis.call('HKEYS', callk)) do  -- hangups kept for an adopter (keep_hangups.lua)
      if string.sub(field, 1, 7) == 'hangup:' then redis.call('HDEL', callk, field) end
    end
    if #f.cdr > 0 then redis.call('HSET', callk, unpack(f.cdr)) end
    redis.call('ZADD', ck .. ':cdrs', f.end_ms, f.call)
    local lk = lead_prefix .. f.lead
    if f.reported then redis.call('RPUSH', lk .. ':calls', f.call) end
    redis.call('HSET', lk, unpack(f.lead_update))
    local dnc = redis.call('HGET', lk, 'dnc') == '1'
    if f.requeue ~= cjson.null and f.requeue and not dnc then
      redis.call('ZADD', ck .. ':' .. f.requeue, f.due_ms, f.lead)
      redis.call('HSET', lk, 'state', 'queued', 'next_call', f.next_call or '')
    else
      redis.call('HSET', lk, 'state', 'done')
    end
    if f.reported then
      local sk = ck .. ':stats:' .. f.hour
      for i = 1, #f.stats, 2 do redis.call('HINCRBY', sk, f.stats[i], f.stats[i + 1]) end
    end
    for _, hook in ipairs(f.webhooks or {}) do
      local id = redis.call('INCR', seq_k)
      redis.call('HSET', webhook_prefix .. id, 'url', hook[1], 'body', hook[2], 'tries', 0,
                 'campaign', f.campaign, 'call', f.call)
      redis.call('ZADD', webhooks_k, now, id)
    end
    done[#done + 1] = f.call
  end
end
return done
