-- update_campaign.lua: write the given fields of a campaign, renaming it atomically.
-- Only the fields in the request are written, so two updates of different
-- fields never undo each other. The name index follows a rename in the same step.
-- KEYS: the campaign hash, campaign-names, running, the hash of the template it names, the hash of
--       the carrier it names (each unused when the update names none)
-- ARGV: uuid, new name ('' = unchanged), the events channel, then field/value pairs.
-- Returns 'ok', 'missing' (no such campaign, or deleted), 'taken' (name in use),
-- 'no-template' or 'no-carrier' (it names one that does not exist at this instant).
local ck, names, running, template, carrier = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local uuid, name, events = ARGV[1], ARGV[2], ARGV[3]
local cur = redis.call('HMGET', ck, 'campaign_name', 'deleted')
if not cur[1] or cur[2] == '1' then return 'missing' end
for i = 4, #ARGV, 2 do
  if ARGV[i] == 'template_uuid' and ARGV[i + 1] ~= '' and redis.call('EXISTS', template) == 0 then
    return 'no-template'
  end
  if ARGV[i] == 'carrier_uuid' and ARGV[i + 1] ~= '' and redis.call('EXISTS', carrier) == 0 then
    return 'no-carrier'
  end
end
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
if status == 'start' then redis.call('SADD', running, uuid)
elseif status then redis.call('SREM', running, uuid) end
redis.call('PUBLISH', events, 'changed ' .. uuid)
return 'ok'
