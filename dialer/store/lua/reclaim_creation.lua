-- reclaim_creation.lua: delete the campaign of a VBot creation that never finished, so a retry of
-- the request can make it again (its name is free). It qualifies only while campaigns-creating
-- still names it under this name (the commit that starts it removes that mark), the name still
-- points to it, it is not started and it never dialled (no CDR, no call in flight): whatever
-- leads it holds were never called. Deleted as delete_campaign.lua deletes (the janitor purges).
-- ARGV: prefix, campaign name, now ms. Returns the uuid deleted, or ''.
local prefix, name, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local marks = prefix .. ':campaigns-creating'
local uuid = redis.call('HGET', marks, name)
if not uuid then return '' end
if redis.call('HGET', prefix .. ':campaign-names', name) ~= uuid then
  redis.call('HDEL', marks, name) -- the creation failed before its campaign existed
  return ''
end
local ck = prefix .. ':campaign:' .. uuid
local c = redis.call('HMGET', ck, 'campaign_id', 'status', 'deleted')
if c[3] == '1' or c[2] == 'start' or redis.call('ZCARD', ck .. ':cdrs') > 0
   or redis.call('ZCARD', ck .. ':calls') > 0 then
  return ''
end
redis.call('HDEL', prefix .. ':campaign-names', name)
redis.call('HDEL', prefix .. ':campaign-ids', c[1])
redis.call('ZREM', prefix .. ':campaigns', uuid)
redis.call('SREM', prefix .. ':running', uuid)
redis.call('HSET', ck, 'deleted', '1', 'status', 'stop', 'active', 'false')
redis.call('ZADD', prefix .. ':deleted', now, uuid)
redis.call('HDEL', marks, name)
redis.call('PUBLISH', prefix .. ':events', 'changed ' .. uuid)
return uuid
