-- abandon_import.lua: unlink staged leads of an import that will not be committed.
-- Only while its marker import:<id> exists: a commit whose answer was lost on the way (the
-- connection dropped) deleted the marker in its own step, and its leads are left alone.
-- KEYS: the import's marker, then the staged lead hashes to unlink
-- ARGV: '1' on the last call (the marker goes too)
-- Returns the number of hashes unlinked.
local marker = KEYS[1]
if redis.call('EXISTS', marker) == 0 then return 0 end
local gone = 0
if #KEYS > 1 then gone = redis.call('UNLINK', unpack(KEYS, 2)) end
if ARGV[1] == '1' then redis.call('DEL', marker) end
return gone
