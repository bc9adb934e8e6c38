-- An agent takes the conversation offered to them. The capacity reserved by the offer stays taken.
-- KEYS[1] offer hash   KEYS[2] offers zset   ARGV[1] conversation id   ARGV[2] agent id
-- Returns 1 when accepted, 0 when there is no such offer for this agent (expired, withdrawn, not theirs).
if redis.call('HGET', KEYS[1], 'agent') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
