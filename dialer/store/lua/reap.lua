-- reap.lua: slots whose lease expired (the process that held them died).
--
-- Returns up to ARGV[4] expired call uuids with their call hash fields; the
-- caller records each with finish.lua, whose slot check makes it safe
-- against the owner finishing the same call at the same moment. A slot
-- whose owner is still alive (engine:<owner> exists: its renewals were
-- only delayed, e.g. by a Redis outage) is left to its owner.
-- ARGV: prefix, campaign uuid, now ms, limit
local prefix, camp, now, limit = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local ck = prefix .. ':campaign:' .. camp
local ids = redis.call('ZRANGE', ck .. ':calls', '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)
local out = {}
for _, call in ipairs(ids) do
  local h = redis.call('HMGET', prefix .. ':call:' .. call, 'lead', 'network', 'node', 'start_ms', 'owner')
  local owner = h[5] or ''
  if owner == '' or redis.call('EXISTS', prefix .. ':engine:' .. owner) == 0 then
    out[#out + 1] = {call, h[1] or '', h[2] or 'offnet', h[3] or '', tonumber(h[4]) or 0}
  end
end
return cjson.encode(out)
