-- create_campaign.lua: a campaign with a unique name and the next integer id.
-- ARGV: prefix, uuid, name, then field/value pairs. Returns the id, or 0 if the name is taken.
local prefix, uuid, name = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HSETNX', prefix .. ':campaign-names', name, uuid) == 0 then return 0 end
local id = redis.call('INCR', prefix .. ':seq:campaign')
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', prefix .. ':campaign:' .. uuid, unpack(fields))
redis.call('HSET', prefix .. ':campaign:' .. uuid, 'campaign_id', id)
redis.call('HSET', prefix .. ':campaign-ids', id, uuid)
redis.call('ZADD', prefix .. ':campaigns', id, uuid)
return id
