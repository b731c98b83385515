-- reclaim_creation.lua: delete the campaign of a VBot creation that never finished, so a retry of
-- the request can make it again (its name is free). It qualifies only while campaigns-creating
-- still names it under this name (the commit that starts it removes that mark), the name still
-- points to it, it is not started and it never dialled (no CDR, no call in flight): whatever
-- leads it holds were never called. Deleted as delete_campaign.lua deletes (the janitor purges).
-- KEYS: campaigns-creating, campaign-names, campaign-ids, campaigns, running, deleted, then the
--       campaign key PREFIX (e.g. 'autocall:campaign:'): the campaign is the one campaigns-creating
--       names, read here, so its keys are built from the declared prefix (docs/redis-keys.md,
--       "Keys the scripts touch").
-- ARGV: campaign name, now ms, the events channel. Returns the uuid deleted, or ''.
local marks, names, ids, campaigns, running, deleted = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local campaign_prefix = KEYS[7]
local name, now, events = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local uuid = redis.call('HGET', marks, name)
if not uuid then return '' end
if redis.call('HGET', names, name) ~= uuid then
  redis.call('HDEL', marks, name) -- the creation failed before its campaign existed
  return ''
end
local ck = campaign_prefix .. uuid
local c = redis.call('HMGET', ck, 'campaign_id', 'status', 'deleted')
if c[3] == '1' or c[2] == 'start' or redis.call('ZCARD', ck .. ':cdrs') > 0
   or redis.call('ZCARD', ck .. ':calls') > 0 then
  return ''
end
redis.call('HDEL', names, name)
redis.call('HDEL', ids, c[1])
redis.call('ZREM', campaigns, uuid)
redis.call('SREM', running, uuid)
redis.call('HSET', ck, 'deleted', '1', 'status', 'stop', 'active', 'false')
redis.call('ZADD', deleted, now, uuid)
redis.call('HDEL', marks, name)
redis.call('PUBLISH', events, 'changed ' .. uuid)
return uuid
