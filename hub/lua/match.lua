-- Offer the oldest waiting conversations to the longest-idle ready agents with spare capacity.
-- The ready zset holds exactly the agents that are ready and below capacity, scored by the time
-- they were last offered a conversation (or became ready), so the lowest score is the longest idle.
-- KEYS[1] waiting   KEYS[2] ready   KEYS[3] offers (zset of deadlines)
-- ARGV[1] now ms   ARGV[2] offer deadline ms   ARGV[3] max offers   ARGV[4] agent key prefix
-- ARGV[5] offer key prefix
-- Returns a flat list: conversation, agent, conversation, agent, ...
local waiting, ready, offers = KEYS[1], KEYS[2], KEYS[3]
local now, deadline, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local out = {}
while #out < 2 * limit do
  local head = redis.call('ZRANGE', waiting, 0, 0, 'WITHSCORES')
  if #head == 0 then break end
  local free = redis.call('ZRANGE', ready, 0, 0)
  if #free == 0 then break end
  local conv, score, agent = head[1], head[2], free[1]
  local akey = ARGV[4] .. agent
  local load = redis.call('HINCRBY', akey, 'load', 1)
  if load >= tonumber(redis.call('HGET', akey, 'cap')) then
    redis.call('ZREM', ready, agent)
  else
    redis.call('ZADD', ready, now, agent)
  end
  redis.call('ZREM', waiting, conv)
  redis.call('HSET', ARGV[5] .. conv, 'agent', agent, 'score', score, 'deadline', deadline)
  redis.call('ZADD', offers, deadline, conv)
  out[#out + 1] = conv
  out[#out + 1] = agent
end
return out
