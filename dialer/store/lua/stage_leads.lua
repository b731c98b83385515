-- stage_leads.lua: write one batch of an import's staged lead hashes, each with the staging TTL,
-- in one step (a hash is never left without its TTL). Staged leads are in no queue: nothing
-- dials them until commit_leads.lua makes the whole import dialable. The hash is the one
-- add_leads.lua writes.
-- KEYS: the import's marker, then the hash of each row's lead (in the rows' order)
-- ARGV: TTL ms, campaign uuid, now ms,
--       JSON [[lead, external id, numbers, networks, fields, call uuid, max attempts], ...]
-- Returns 1, or 0 (writing nothing) when the import's marker has expired.
local ttl, camp, now = tonumber(ARGV[1]), ARGV[2], ARGV[3]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i, l in ipairs(cjson.decode(ARGV[4])) do
  local lk = KEYS[i + 1]
  redis.call('HSET', lk, 'campaign', camp, 'external_id', l[2], 'numbers', l[3], 'networks', l[4], 'fields', l[5],
             'state', 'queued', 'attempts', 0, 'number_idx', 0, 'next_call', l[6], 'first_call', l[6],
             'created_ms', now, 'max_attempts', l[7])
  redis.call('PEXPIRE', lk, ttl)
end
return 1
