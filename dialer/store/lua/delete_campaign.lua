-- delete_campaign.lua: take an inactive campaign out of every registry in one step.
-- Its data (queues, leads, CDRs) stays until the janitor purges it, after the
-- calls still in flight have ended and been recorded: deleting never loses a result.
-- ARGV: prefix, uuid, now ms. Returns 'ok', 'missing' or 'active'.
local prefix, uuid = ARGV[1], ARGV[2]
local ck = prefix .. ':campaign:' .. uuid
local c = redis.call('HMGET', ck, 'campaign_name', 'campaign_id', 'active', 'deleted')
if not c[1] or c[4] == '1' then return 'missing' end
if c[3] == 'true' then return 'active' end
if redis.call('HGET', prefix .. ':campaign-names', c[1]) == uuid then
  redis.call('HDEL', prefix .. ':campaign-names', c[1])
end
redis.call('HDEL', prefix .. ':campaign-ids', c[2])
redis.call('ZREM', prefix .. ':campaigns', uuid)
redis.call('SREM', prefix .. ':running', uuid)
redis.call('HSET', ck, 'deleted', '1', 'status', 'stop')
redis.call('ZADD', prefix .. ':deleted', tonumber(ARGV[3]), uuid)
redis.call('PUBLISH', prefix .. ':events', 'changed ' .. uuid)
return 'ok'
