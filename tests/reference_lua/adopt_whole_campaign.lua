-- The adopt.lua of before issue 18's adoption pass (every slot of the campaign in one call, once per node):
-- tests/test_store_adopt_windows.py checks the windowed adopt.lua adopts exactly what this one did.
-- adopt.lua: take over the in-flight attempts of engines that died.
--
-- A slot (a member of :calls) belongs to the engine named by its call
-- hash's `owner`; a live engine keeps `engine:<id>` alive. Slots on one of
-- the given FreeSWITCH nodes whose owner is gone are re-owned by ARGV[2]
-- and their lease renewed, in one step, so two surviving engines never
-- adopt the same call. A slot of ARGV[2]'s own whose lease expired is
-- returned too: its engine no longer tracks it (the caller skips the ones it does). The adopter then asks FreeSWITCH what became of each.
--
-- KEYS: the campaign's calls, the call key PREFIX (e.g. 'autocall:call:'), the engine key PREFIX
-- (e.g. 'autocall:engine:'). The calls and their owners are read here from :calls and the call
-- hashes, so their keys are built from the declared prefixes (docs/redis-keys.md, "Keys the
-- scripts touch").
-- ARGV: now ms, new owner, lease ms, JSON list of node names, limit
-- Returns JSON [[call, lead, network, node, start_ms, {leg: hangup JSON}, origin], ...] (hangups:
-- FreeSWITCH's CDRs kept by keep_hangups.lua; origin: the engine that placed the call, whose id its
-- channels carry as autocall_engine and whose ESL filter the adopter adds. Kept in the call hash
-- (`origin`) at the first adoption, so an adopter of an adopter still knows it.)
local calls_k, call_prefix, engine_prefix = KEYS[1], KEYS[2], KEYS[3]
local now, me = tonumber(ARGV[1]), ARGV[2]
local lease, limit = tonumber(ARGV[3]), tonumber(ARGV[5])
local nodes = {}
for _, name in ipairs(cjson.decode(ARGV[4])) do nodes[name] = true end
local out = {}
local slots = redis.call('ZRANGE', calls_k, 0, -1, 'WITHSCORES')
for i = 1, #slots, 2 do
  if #out >= limit then break end
  local call, lease_end = slots[i], tonumber(slots[i + 1])
  local ck = call_prefix .. call
  local h = redis.call('HMGET', ck, 'owner', 'node', 'lead', 'network', 'start_ms', 'origin')
  local owner = h[1] or ''
  local orphaned
  if owner == me then
    orphaned = lease_end < now  -- ours, but nobody renews it: we lost track (e.g. Redis lost a write)
  else
    orphaned = owner == '' or redis.call('EXISTS', engine_prefix .. owner) == 0
  end
  if nodes[h[2] or ''] and orphaned then
    local origin = h[6] or owner
    if origin ~= owner or owner == me then
      redis.call('HSET', ck, 'owner', me)
    else
      redis.call('HSET', ck, 'owner', me, 'origin', origin)
    end
    redis.call('ZADD', calls_k, 'XX', now + lease, call)
    local hangups = {}
    for _, field in ipairs(redis.call('HKEYS', ck)) do
      if string.sub(field, 1, 7) == 'hangup:' then hangups[string.sub(field, 8)] = redis.call('HGET', ck, field) end
    end
    if next(hangups) == nil then hangups = cjson.decode('{}') end
    out[#out + 1] = {call, h[3] or '', h[4] or 'offnet', h[2], tonumber(h[5]) or 0, hangups, origin}
  end
end
return cjson.encode(out)
