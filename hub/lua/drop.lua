-- The conversation no longer waits (resolved, abandoned, sent elsewhere): out of routing altogether,
-- taking back its offer if it had one. ARGV: conversation, now ms. Returns the agent offered it, or false.
local c = ARGV[1]
local cvkey = P .. 'cv:' .. c
local cv = hash(cvkey)
local agent = redis.call('HGET', P .. 'offer:' .. c, 'agent')
if agent then
  redis.call('DEL', P .. 'offer:' .. c)
  redis.call('ZREM', P .. 'offers', c)
  unload(agent, cv.m or 'chat')
end
if cv.q ~= nil then unplace(c, cv) end
redis.call('DEL', cvkey)
return agent or false
