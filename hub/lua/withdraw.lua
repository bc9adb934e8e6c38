-- Take back an offer (timed out, declined, or the conversation ended), free the agent's reserved
-- capacity and, when asked, put the conversation back where it waited, at its original place.
-- ARGV: conversation, agent or '' for any, requeue 1|0, now ms, only if the deadline is at or before
--       this ms ('' = always)
-- Returns the agent the offer was withdrawn from, or false.
local c = ARGV[1]
local okey = P .. 'offer:' .. c
local agent = redis.call('HGET', okey, 'agent')
if not agent then return false end
if ARGV[2] ~= '' and agent ~= ARGV[2] then return false end
if ARGV[5] ~= '' and tonumber(redis.call('HGET', okey, 'deadline')) > tonumber(ARGV[5]) then return false end
redis.call('DEL', okey)
redis.call('ZREM', P .. 'offers', c)
local cvkey = P .. 'cv:' .. c
local m = redis.call('HGET', cvkey, 'm') or 'chat'
if ARGV[3] == '1' then
  redis.call('HDEL', cvkey, 'offered')
  place(c, tonumber(ARGV[4]))
else
  redis.call('DEL', cvkey)
end
unload(agent, m)
return agent
