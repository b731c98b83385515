-- abandon_import.lua: unlink staged leads of an import that will not be committed.
-- Only while its marker import:<id> exists: a commit whose answer was lost on the way (the
-- connection dropped) deleted the marker in its own step, and its leads are left alone.
-- ARGV: prefix, import id, '1' on the last call (the marker goes too), lead uuids...
-- Returns the number of hashes unlinked.
local prefix, import = ARGV[1], ARGV[2]
local marker = prefix .. ':import:' .. import
if redis.call('EXISTS', marker) == 0 then return 0 end
local keys = {}
for i = 4, #ARGV do keys[#keys + 1] = prefix .. ':lead:' .. ARGV[i] end
local gone = 0
if #keys > 0 then gone = redis.call('UNLINK', unpack(keys)) end
if ARGV[3] == '1' then redis.call('DEL', marker) end
return gone
