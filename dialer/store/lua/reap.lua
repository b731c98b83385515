-- reap.lua: slots whose lease expired (the process that held them died).
--
-- Returns up to ARGV[2] expired call uuids with their call hash fields; the
-- caller records each with finish.lua, whose slot check makes it safe
-- against the owner finishing the same call at the same moment. A slot
-- whose owner is still alive (engine:<owner> exists: its renewals were
-- only delayed, e.g. by a Redis outage) is left to its owner.
-- KEYS: the campaign's calls, the call key PREFIX (e.g. 'autocall:call:'), the engine key PREFIX
-- (e.g. 'autocall:engine:'). The calls and their owners are read here, so their keys are built
-- from the declared prefixes (docs/redis-keys.md, "Keys the scripts touch").
-- ARGV: now ms, limit
local calls_k, call_prefix, engine_prefix = KEYS[1], KEYS[2], KEYS[3]
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local ids = redis.call('ZRANGE', calls_k, '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)
local out = {}
for _, call in ipairs(ids) do
  local h = redis.call('HMGET', call_prefix .. call, 'lead', 'network', 'node', 'start_ms', 'owner')
  local owner = h[5] or ''
  if owner == '' or redis.call('EXISTS', engine_prefix .. owner) == 0 then
    out[#out + 1] = {call, h[1] or '', h[2] or 'offnet', h[3] or '', tonumber(h[4]) or 0}
  end
end
return cjson.encode(out)
