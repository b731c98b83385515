-- create_campaign.lua: a campaign with a unique name and the next integer id.
-- The template and carrier it names must exist at this instant (a delete of
-- either checks the campaigns in its own transaction, so no dangling reference).
-- ARGV: prefix, uuid, name, then field/value pairs.
-- Returns the id, 0 if the name is taken, -1 if the template is missing, -2 if the carrier is.
local prefix, uuid, name = ARGV[1], ARGV[2], ARGV[3]
for i = 4, #ARGV, 2 do
  if ARGV[i] == 'template_uuid' and ARGV[i + 1] ~= '' and
     redis.call('EXISTS', prefix .. ':template:' .. ARGV[i + 1]) == 0 then return -1 end
  if ARGV[i] == 'carrier_uuid' and ARGV[i + 1] ~= '' and
     redis.call('EXISTS', prefix .. ':carrier:' .. ARGV[i + 1]) == 0 then return -2 end
end
if redis.call('HSETNX', prefix .. ':campaign-names', name, uuid) == 0 then return 0 end
local id = redis.call('INCR', prefix .. ':seq:campaign')
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', prefix .. ':campaign:' .. uuid, unpack(fields))
redis.call('HSET', prefix .. ':campaign:' .. uuid, 'campaign_id', id)
redis.call('HSET', prefix .. ':campaign-ids', id, uuid)
redis.call('ZADD', prefix .. ':campaigns', id, uuid)
return id
