-- update_campaign.lua: write the given fields of a campaign, renaming it atomically.
-- Only the fields in the request are written, so two updates of different
-- fields never undo each other. The name index follows a rename in the same step.
-- ARGV: prefix, uuid, new name ('' = unchanged), then field/value pairs.
-- Returns 'ok', 'missing' (no such campaign, or deleted), 'taken' (name in use),
-- 'no-template' or 'no-carrier' (it names one that does not exist at this instant).
local prefix, uuid, name = ARGV[1], ARGV[2], ARGV[3]
local ck = prefix .. ':campaign:' .. uuid
local cur = redis.call('HMGET', ck, 'campaign_name', 'deleted')
if not cur[1] or cur[2] == '1' then return 'missing' end
for i = 4, #ARGV, 2 do
  if ARGV[i] == 'template_uuid' and ARGV[i + 1] ~= '' and
     redis.call('EXISTS', prefix .. ':template:' .. ARGV[i + 1]) == 0 then return 'no-template' end
  if ARGV[i] == 'carrier_uuid' and ARGV[i + 1] ~= '' and
     redis.call('EXISTS', prefix .. ':carrier:' .. ARGV[i + 1]) == 0 then return 'no-carrier' end
end
local names = prefix .. ':campaign-names'
if name ~= '' and name ~= cur[1] then
  if redis.call('HSETNX', names, name, uuid) == 0 then return 'taken' end
  if redis.call('HGET', names, cur[1]) == uuid then redis.call('HDEL', names, cur[1]) end
end
local fields = {}
local status
for i = 4, #ARGV, 2 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  if ARGV[i] == 'status' then status = ARGV[i + 1] end
end
if #fields > 0 then redis.call('HSET', ck, unpack(fields)) end
if status == 'start' then redis.call('SADD', prefix .. ':running', uuid)
elseif status then redis.call('SREM', prefix .. ':running', uuid) end
redis.call('PUBLISH', prefix .. ':events', 'changed ' .. uuid)
return 'ok'
