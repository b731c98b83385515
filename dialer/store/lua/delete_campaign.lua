-- delete_campaign.lua: take an inactive campaign out of every registry in one step.
-- Its data (queues, leads, CDRs) stays until the janitor purges it, after the
-- calls still in flight have ended and been recorded: deleting never loses a result.
-- ARGV: prefix, uuid, now ms, rule: 'inactive' (v3: active must be false) or
-- 'stopped' (queue API: status must not be start).
-- Returns 'ok', 'missing', 'active' or 'running'.
local prefix, uuid = ARGV[1], ARGV[2]
local rule = ARGV[4] or 'inactive'
local ck = prefix .. ':campaign:' .. uuid
local c = redis.call('HMGET', ck, 'campaign_name', 'campaign_id', 'active', 'deleted', 'status')
if not c[1] or c[4] == '1' then return 'missing' end
if rule == 'inactive' and c[3] == 'true' then return 'active' end
if rule == 'stopped' and c[5] == 'start' then return 'running' end
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
