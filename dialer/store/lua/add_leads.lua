-- add_leads.lua: queue a batch of fresh leads in one step.
-- A lead whose customer id (external_id) the campaign already has is a
-- duplicate: it is skipped and reported, so an import retried after a
-- timeout does not dial anyone twice. A customer already on the campaign's
-- do-not-call list is stored but marked, and never dialled.
--
-- KEYS: the campaign key PREFIX (e.g. 'autocall:campaign:'), the lead key PREFIX (e.g. 'autocall:lead:')
-- A batch may span campaigns, each row naming its own (the seeding of tests and benchmarks), so
-- the keys of each row are built from the declared prefixes (docs/redis-keys.md, "Keys the
-- scripts touch"). The API's imports use commit_leads.lua, which declares its campaign's keys.
-- ARGV: now ms, JSON list of {lead, campaign, ext, numbers, networks, fields, call, max}
-- Returns JSON list of [index (1-based), existing lead uuid] for the duplicates,
-- or {"missing": campaign} (and writes nothing) if a campaign is gone.
local campaign_prefix, lead_prefix = KEYS[1], KEYS[2]
local now = tonumber(ARGV[1])
local batch = cjson.decode(ARGV[2])
-- Every campaign of the batch must exist and not be deleted, or nothing is written.
local checked = {}
for _, l in ipairs(batch) do
  if not checked[l.campaign] then
    local c = redis.call('HMGET', campaign_prefix .. l.campaign, 'campaign_name', 'deleted')
    if not c[1] or c[2] == '1' then return cjson.encode({missing = l.campaign}) end
    checked[l.campaign] = true
  end
end
local skipped = {}
for i, l in ipairs(batch) do
  local ck = campaign_prefix .. l.campaign
  local existing = false
  if l.ext ~= '' then existing = redis.call('HGET', ck .. ':external', l.ext) end
  if existing then
    skipped[#skipped + 1] = {i, existing}
  else
    local lk = lead_prefix .. l.lead
    redis.call('HSET', lk, 'campaign', l.campaign, 'external_id', l.ext, 'numbers', l.numbers,
               'networks', l.networks, 'fields', l.fields, 'state', 'queued', 'attempts', 0, 'number_idx', 0,
               'next_call', l.call, 'first_call', l.call, 'created_ms', now, 'max_attempts', l.max or 0)
    if l.ext ~= '' then
      redis.call('HSET', ck .. ':external', l.ext, l.lead)
      if redis.call('SISMEMBER', ck .. ':dnc', l.ext) == 1 then redis.call('HSET', lk, 'dnc', '1') end
    end
    redis.call('ZADD', ck .. ':fresh', now, l.lead)
    redis.call('ZADD', ck .. ':leads', now, l.lead)
  end
end
return cjson.encode(skipped)
