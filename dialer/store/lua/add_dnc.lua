-- add_dnc.lua: put customers on a campaign's do-not-call list and flag their leads, in one step.
-- One script, so an import (add_leads.lua checks the list) can never slip a lead in between
-- the list and the flags: every lead of a listed customer is flagged, now or when it arrives.
-- A lead not yet dialled is skipped by claim.lua; a call in progress is left alone (no recall).
-- ARGV: prefix, campaign uuid, customer ids... Returns the number of existing leads flagged.
local ck = ARGV[1] .. ':campaign:' .. ARGV[2]
local marked = 0
for i = 3, #ARGV do
  redis.call('SADD', ck .. ':dnc', ARGV[i])
  local lead = redis.call('HGET', ck .. ':external', ARGV[i])
  if lead then
    redis.call('HSET', ARGV[1] .. ':lead:' .. lead, 'dnc', '1')
    marked = marked + 1
  end
end
return marked
