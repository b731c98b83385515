-- delete_campaign.lua: take an inactive campaign out of every registry in one step.
-- Its data (queues, leads, CDRs) stays until the janitor purges it, after the
-- calls still in flight have ended and been recorded: deleting never loses a result.
-- KEYS: the campaign hash, campaign-names, campaign-ids, campaigns, running, deleted
-- ARGV: uuid, now ms, rule: 'inactive' (v3: active must be false) or 'stopped' (queue API: status
--       must not be start), the events channel
-- Returns 'ok', 'missing', 'active' or 'running'.
local ck, names, ids, campaigns, running, deleted = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local uuid, rule, events = ARGV[1], ARGV[3] or 'inactive', ARGV[4]
local c = redis.call('HMGET', ck, 'campaign_name', 'campaign_id', 'active', 'deleted', 'status')
if not c[1] or c[4] == '1' then return 'missing' end
if rule == 'inactive' and c[3] == 'true' then return 'active' end
if rule == 'stopped' and c[5] == 'start' then return 'running' end
if redis.call('HGET', names, c[1]) == uuid then
  redis.call('HDEL', names, c[1])
end
redis.call('HDEL', ids, c[2])
redis.call('ZREM', campaigns, uuid)
redis.call('SREM', running, uuid)
redis.call('HSET', ck, 'deleted', '1', 'status', 'stop')
redis.call('ZADD', deleted, tonumber(ARGV[2]), uuid)
redis.call('PUBLISH', events, 'changed ' .. uuid)
return 'ok'
