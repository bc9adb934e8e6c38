-- Fixed-window counter: count one hit and say whether it is within the limit.
-- KEYS[1] counter   ARGV[1] limit   ARGV[2] window ms
-- Returns the number of ms to wait when over the limit, else 0.
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if hits > tonumber(ARGV[1]) then return math.max(redis.call('PTTL', KEYS[1]), 1) end
return 0
