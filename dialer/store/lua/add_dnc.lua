-- add_dnc.lua: put customers on a campaign's do-not-call list and flag their leads, in one step.
-- One script, so an import (add_leads.lua checks the list) can never slip a lead in between
-- the list and the flags: every lead of a listed customer is flagged, now or when it arrives.
-- A lead not yet dialled is skipped by claim.lua; a call in progress is left alone (no recall).
--
-- KEYS: the campaign's dnc, the campaign's external, the lead key PREFIX (e.g. 'autocall:lead:')
-- The leads flagged are the ones the external index names, read here: their keys cannot be
-- declared before the call, so the script builds them from the declared prefix
-- (docs/redis-keys.md, "Keys the scripts touch").
-- ARGV: customer ids... Returns the number of existing leads flagged.
local dnc, external, lead_prefix = KEYS[1], KEYS[2], KEYS[3]
local marked = 0
for i = 1, #ARGV do
  redis.call('SADD', dnc, ARGV[i])
  local lead = redis.call('HGET', external, ARGV[i])
  if lead then
    redis.call('HSET', lead_prefix .. lead, 'dnc', '1')
    marked = marked + 1
  end
end
return marked
