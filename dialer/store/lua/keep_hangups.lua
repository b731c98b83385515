-- keep_hangups.lua: hangups of calls this engine does not track, kept for their adopter.
--
-- Every engine on a FreeSWITCH hears every hangup. One for an autocall call
-- nobody here tracks (its engine died, or another engine owns it) is written
-- into that call's hash as `hangup:<leg>` = the event's CDR fields (JSON), but
-- only while the call still holds its slot: the owner may have recorded it
-- already. The adopter applies them (adopt.lua returns them); finish.lua
-- removes them. So a hangup heard by any engine survives its crash.
--
-- KEYS: the campaign key PREFIX (e.g. 'autocall:campaign:'), the call key PREFIX (e.g. 'autocall:call:')
-- A batch spans campaigns, each row naming its own campaign and call, so their keys are built
-- from the declared prefixes (docs/redis-keys.md, "Keys the scripts touch").
-- ARGV: JSON [[campaign, call, leg, hangup JSON], ...]
local campaign_prefix, call_prefix = KEYS[1], KEYS[2]
local kept = 0
for _, h in ipairs(cjson.decode(ARGV[1])) do
  if redis.call('ZSCORE', campaign_prefix .. h[1] .. ':calls', h[2]) then
    redis.call('HSET', call_prefix .. h[2], 'hangup:' .. h[3], h[4])
    kept = kept + 1
  end
end
return kept
