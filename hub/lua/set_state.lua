-- Set an agent's presence state and capacity; keep the ready set exact.
-- KEYS[1] agent hash   KEYS[2] ready   KEYS[3] online set
-- ARGV[1] agent id   ARGV[2] state   ARGV[3] capacity   ARGV[4] now ms
-- ARGV[5] load to set ('' keeps the current load; used when rebuilding from the store)
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'cap', ARGV[3])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'load', ARGV[5]) end
local load = tonumber(redis.call('HGET', KEYS[1], 'load') or '0')
redis.call('HSET', KEYS[1], 'load', load)
if ARGV[2] == 'offline' then
  redis.call('SREM', KEYS[3], ARGV[1])
else
  redis.call('SADD', KEYS[3], ARGV[1])
end
if ARGV[2] == 'ready' and load < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return load
