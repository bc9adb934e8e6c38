-- An agent takes the conversation offered to them. The capacity reserved by the offer stays taken.
-- ARGV: conversation, agent, how long the accepting marker lives (ms), now ms
-- Returns 1 when accepted, 0 when there is no such offer for this agent (expired, withdrawn, not theirs).
local c, a = ARGV[1], ARGV[2]
if redis.call('HGET', P .. 'offer:' .. c, 'agent') ~= a then return 0 end
redis.call('DEL', P .. 'offer:' .. c, P .. 'cv:' .. c)
redis.call('ZREM', P .. 'offers', c)
redis.call('SET', P .. 'accepting:' .. c, a, 'PX', ARGV[3])
local akey = P .. 'agent:' .. a
roll_day(akey, tonumber(ARGV[4]))
redis.call('HINCRBY', akey, 'handled', 1)
refresh(a)
return 1
