-- Take back an offer (timed out, declined, or the conversation ended), free the agent's reserved
-- capacity and, when asked, put the conversation back in the queue at its original place.
-- KEYS[1] offer hash   KEYS[2] offers zset   KEYS[3] waiting   KEYS[4] ready
-- ARGV[1] conversation id   ARGV[2] agent id or '' for any   ARGV[3] requeue 1|0   ARGV[4] now ms
-- ARGV[5] agent key prefix   ARGV[6] only if the deadline is at or before this ms ('' = always)
-- Returns the agent id the offer was withdrawn from, or false.
local agent = redis.call('HGET', KEYS[1], 'agent')
if not agent then return false end
if ARGV[2] ~= '' and agent ~= ARGV[2] then return false end
if ARGV[6] ~= '' and tonumber(redis.call('HGET', KEYS[1], 'deadline')) > tonumber(ARGV[6]) then
  return false
end
local score = redis.call('HGET', KEYS[1], 'score')
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[3] == '1' then redis.call('ZADD', KEYS[3], 'NX', score, ARGV[1]) end
local akey = ARGV[5] .. agent
local load = redis.call('HINCRBY', akey, 'load', -1)
if load < 0 then redis.call('HSET', akey, 'load', 0); load = 0 end
if redis.call('HGET', akey, 'state') == 'ready' and load < tonumber(redis.call('HGET', akey, 'cap')) then
  redis.call('ZADD', KEYS[4], 'NX', ARGV[4], agent)
end
return agent
