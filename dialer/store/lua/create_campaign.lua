-- create_campaign.lua: a campaign with a unique uuid, name and integer id.
-- The template and carrier it names must exist at this instant (a delete of
-- either checks the campaigns in its own transaction, so no dangling reference).
-- The id is the client's (ARGV[4] > 0) or the next of seq:campaign that no live
-- campaign holds: the sequence skips ids clients chose, in this same step.
-- Every check comes before the first write: a refusal writes nothing.
-- ARGV: prefix, uuid, name, chosen id ('0' = allocate one), then field/value pairs.
-- Returns the id; 0 if the name is taken, -1 if the template is missing, -2 if the
-- carrier is, -3 if the uuid is taken (a live campaign, or a deleted one not yet
-- purged), -4 if the chosen id is taken.
local prefix, uuid, name, chosen = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ids = prefix .. ':campaign-ids'
for i = 5, #ARGV, 2 do
  if ARGV[i] == 'template_uuid' and ARGV[i + 1] ~= '' and
     redis.call('EXISTS', prefix .. ':template:' .. ARGV[i + 1]) == 0 then return -1 end
  if ARGV[i] == 'carrier_uuid' and ARGV[i + 1] ~= '' and
     redis.call('EXISTS', prefix .. ':carrier:' .. ARGV[i + 1]) == 0 then return -2 end
end
if redis.call('EXISTS', prefix .. ':campaign:' .. uuid) == 1 then return -3 end
if chosen ~= '0' and redis.call('HEXISTS', ids, chosen) == 1 then return -4 end
if redis.call('HSETNX', prefix .. ':campaign-names', name, uuid) == 0 then return 0 end
local id = chosen
if id == '0' then
  repeat
    id = tostring(redis.call('INCR', prefix .. ':seq:campaign'))
  until redis.call('HEXISTS', ids, id) == 0
end
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', prefix .. ':campaign:' .. uuid, unpack(fields))
redis.call('HSET', prefix .. ':campaign:' .. uuid, 'campaign_id', id)
redis.call('HSET', ids, id, uuid)
redis.call('ZADD', prefix .. ':campaigns', id, uuid)
return tonumber(id)
