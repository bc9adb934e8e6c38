-- An agent takes the conversation offered to them. The capacity reserved by the offer stays taken.
-- KEYS[1] offer hash   KEYS[2] offers zset   KEYS[3] accepting marker
-- ARGV[1] conversation id   ARGV[2] agent id   ARGV[3] how long the marker lives (ms)
-- Returns 1 when accepted, 0 when there is no such offer for this agent (expired, withdrawn, not theirs).
if redis.call('HGET', KEYS[1], 'agent') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
return 1
