-- create_campaign.lua: a campaign with a unique uuid, name and integer id.
-- The template and carrier it names must exist at this instant (a delete of
-- either checks the campaigns in its own transaction, so no dangling reference).
-- The id is the client's (ARGV[3] > 0) or the next of seq:campaign that no live
-- campaign holds: the sequence skips ids clients chose, in this same step.
-- Every check comes before the first write: a refusal writes nothing.
-- KEYS: the campaign hash, campaign-names, campaign-ids, campaigns, seq:campaign, the hash of the
--       template it names, the hash of the carrier it names (each unused when none is named)
-- ARGV: uuid, name, chosen id ('0' = allocate one), then field/value pairs.
-- Returns the id; 0 if the name is taken, -1 if the template is missing, -2 if the
-- carrier is, -3 if the uuid is taken (a live campaign, or a deleted one not yet
-- purged), -4 if the chosen id is taken.
local ck, names, ids, campaigns, seq, template, carrier = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6],
                                                          KEYS[7]
local uuid, name, chosen = ARGV[1], ARGV[2], ARGV[3]
for i = 4, #ARGV, 2 do
  if ARGV[i] == 'template_uuid' and ARGV[i + 1] ~= '' and redis.call('EXISTS', template) == 0 then return -1 end
  if ARGV[i] == 'carrier_uuid' and ARGV[i + 1] ~= '' and redis.call('EXISTS', carrier) == 0 then return -2 end
end
if redis.call('EXISTS', ck) == 1 then return -3 end
if chosen ~= '0' and redis.call('HEXISTS', ids, chosen) == 1 then return -4 end
if redis.call('HSETNX', names, name, uuid) == 0 then return 0 end
local id = chosen
if id == '0' then
  repeat
    id = tostring(redis.call('INCR', seq))
  until redis.call('HEXISTS', ids, id) == 0
end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', ck, unpack(fields))
redis.call('HSET', ck, 'campaign_id', id)
redis.call('HSET', ids, id, uuid)
redis.call('ZADD', campaigns, id, uuid)
return tonumber(id)
