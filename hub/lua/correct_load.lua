-- Set an agent's load on one media to the value the store implies, only if it is still the value that
-- was seen (so a concurrent offer or release is never overwritten); keep the ready sets exact.
-- ARGV: agent, media, load seen, new load
local akey = P .. 'agent:' .. ARGV[1]
if num(redis.call('HGET', akey, 'load_' .. ARGV[2])) ~= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', akey, 'load_' .. ARGV[2], ARGV[4])
refresh(ARGV[1])
return 1
