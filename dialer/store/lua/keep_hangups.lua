-- keep_hangups.lua: FreeSWITCH's CDRs of calls, kept as their legs' hangups.
--
-- The CDR mod_json_cdr posts for a channel of an autocall call (switch_cdrs.py)
-- is written into that call's hash as `hangup:<leg>` = the event's CDR fields
-- (JSON), but only while the call still holds its slot: its engine may have
-- recorded it already. An engine settling a call whose hangup it did not hear
-- (a reconnect, an adoption: adopt.lua returns them) applies them; finish.lua
-- removes them. (Until issue 18 engines also kept here the hangups they heard
-- of other engines' calls; each engine now hears only its own calls.)
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
