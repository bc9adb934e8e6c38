-- An agent is done with one conversation (resolved or transferred): free one unit of capacity.
-- KEYS[1] agent hash   KEYS[2] ready   ARGV[1] agent id   ARGV[2] now ms
local load = redis.call('HINCRBY', KEYS[1], 'load', -1)
if load < 0 then redis.call('HSET', KEYS[1], 'load', 0); load = 0 end
if redis.call('HGET', KEYS[1], 'state') == 'ready' and load < tonumber(redis.call('HGET', KEYS[1], 'cap')) then
  redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1])
end
return load
