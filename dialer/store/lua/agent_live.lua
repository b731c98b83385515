-- agent_live.lua: write what a mod_callcenter event tells about an agent, while it is an agent.
-- mod_callcenter names the agent <extension>@autocall; the extension index gives its uuid, and its
-- live hash is written only then, so an event about an agent deleted meanwhile leaves nothing behind.
--
-- KEYS: agent-extensions, the agent-live key PREFIX (e.g. 'autocall:agent-live:')
-- The live hash is the one the extension index names, read here: its key cannot be declared
-- before the call, so the script builds it from the declared prefix
-- (docs/redis-keys.md, "Keys the scripts touch").
-- ARGV: extension, n, then n field/value pairs to set, then field/increment pairs to add.
-- Returns the agent's uuid, or false when no agent has the extension (nothing written).
local extensions, live_prefix = KEYS[1], KEYS[2]
local uuid = redis.call('HGET', extensions, ARGV[1])
if not uuid then return false end
local live = live_prefix .. uuid
local n = tonumber(ARGV[2])
if n > 0 then
  local values = {}
  for i = 3, 2 + 2 * n do values[#values + 1] = ARGV[i] end
  redis.call('HSET', live, unpack(values))
end
for i = 3 + 2 * n, #ARGV, 2 do
  redis.call('HINCRBY', live, ARGV[i], ARGV[i + 1])
end
return uuid
