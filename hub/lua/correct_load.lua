-- Set an agent's load to the value the store implies, only if it is still the value that was seen
-- (so a concurrent offer or release is never overwritten); keep the ready set exact.
-- KEYS[1] agent hash   KEYS[2] ready   ARGV[1] agent id   ARGV[2] load seen   ARGV[3] new load   ARGV[4] now ms
if redis.call('HGET', KEYS[1], 'load') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'load', ARGV[3])
if redis.call('HGET', KEYS[1], 'state') == 'ready' and tonumber(ARGV[3]) < tonumber(redis.call('HGET', KEYS[1], 'cap')) then
  redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
