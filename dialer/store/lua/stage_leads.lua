-- stage_leads.lua: write one batch of an import's staged lead hashes, each with the staging TTL,
-- in one step (a hash is never left without its TTL). Staged leads are in no queue: nothing
-- dials them until commit_leads.lua makes the whole import dialable. The hash is the one
-- add_leads.lua writes.
-- ARGV: prefix, import id, TTL ms, campaign uuid, now ms,
--       JSON [[lead, external id, numbers, networks, fields, call uuid, max attempts], ...]
-- Returns 1, or 0 (writing nothing) when the import's marker has expired.
local prefix, ttl, camp, now = ARGV[1], tonumber(ARGV[3]), ARGV[4], ARGV[5]
if redis.call('EXISTS', prefix .. ':import:' .. ARGV[2]) == 0 then return 0 end
for _, l in ipairs(cjson.decode(ARGV[6])) do
  local lk = prefix .. ':lead:' .. l[1]
  redis.call('HSET', lk, 'campaign', camp, 'external_id', l[2], 'numbers', l[3], 'networks', l[4], 'fields', l[5],
             'state', 'queued', 'attempts', 0, 'number_idx', 0, 'next_call', l[6], 'first_call', l[6],
             'created_ms', now, 'max_attempts', l[7])
  redis.call('PEXPIRE', lk, ttl)
end
return 1
