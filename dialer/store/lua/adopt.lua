-- adopt.lua: take over the in-flight attempts of engines that died, one window of slots at a time.
--
-- A slot (a member of :calls) belongs to the engine named by its call
-- hash's `owner`; a live engine keeps `engine:<id>` alive. Slots on one of
-- the given FreeSWITCH nodes whose owner is gone are re-owned by ARGV[2]
-- and their lease renewed, in one step, so two surviving engines never
-- adopt the same call. A slot of ARGV[2]'s own whose lease expired is
-- returned too: its engine no longer tracks it (the caller skips the ones it does). The adopter then asks FreeSWITCH what became of each.
--
-- One call reads one window of the campaign's slots (ZSCAN from the cursor ARGV[5], about ARGV[6]
-- of them), not the whole campaign: a script holds Redis while it runs, and a campaign may hold
-- tens of thousands. The caller calls again with the returned cursor until it is '0'. ZSCAN
-- returns every slot there from the first call to the last at least once, whatever claims, renewals
-- and finishes happen between the calls; a slot returned twice was re-owned the first time (its
-- lease renewed: no longer orphaned), so it is adopted once.
--
-- KEYS: the campaign's calls, the call key PREFIX (e.g. 'autocall:call:'), the engine key PREFIX
-- (e.g. 'autocall:engine:'). The calls and their owners are read here from :calls and the call
-- hashes, so their keys are built from the declared prefixes (docs/redis-keys.md, "Keys the
-- scripts touch").
-- ARGV: now ms, new owner, lease ms, JSON list of node names, cursor ('0': the first window), window
-- Returns {next cursor ('0': the last window), JSON [[call, lead, network, node, start_ms, {leg: hangup
-- JSON}, origin], ...]} (hangups: FreeSWITCH's CDRs kept by keep_hangups.lua; origin: the engine that
-- placed the call, whose id its channels carry as autocall_engine and whose ESL filter the adopter
-- adds. Kept in the call hash (`origin`) at the first adoption, so an adopter of an adopter still knows it.)
local calls_k, call_prefix, engine_prefix = KEYS[1], KEYS[2], KEYS[3]
local now, me = tonumber(ARGV[1]), ARGV[2]
local lease = tonumber(ARGV[3])
local nodes = {}
for _, name in ipairs(cjson.decode(ARGV[4])) do nodes[name] = true end
local out = {}
local gone = {}  -- owner -> its liveness key is gone
local scanned = redis.call('ZSCAN', calls_k, ARGV[5], 'COUNT', tonumber(ARGV[6]))
local slots = scanned[2]
for i = 1, #slots, 2 do
  local call, lease_end = slots[i], tonumber(slots[i + 1])
  local ck = call_prefix .. call
  local h = redis.call('HMGET', ck, 'owner', 'node', 'lead', 'network', 'start_ms', 'origin')
  local owner = h[1] or ''
  local orphaned = false  -- a slot on a node not given stays false
  if not nodes[h[2] or ''] then
    orphaned = false
  elseif owner == me then
    orphaned = lease_end < now  -- ours, but nobody renews it: we lost track (e.g. Redis lost a write)
  elseif owner == '' then
    orphaned = true
  else
    if gone[owner] == nil then gone[owner] = redis.call('EXISTS', engine_prefix .. owner) == 0 end
    orphaned = gone[owner]  -- an engine's liveness, asked once per window
  end
  if orphaned then
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
return {scanned[1], cjson.encode(out)}
