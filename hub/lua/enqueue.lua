-- Put a conversation in the waiting queue (once) and return its 1-based position.
-- KEYS[1] waiting zset   ARGV[1] conversation id   ARGV[2] score (ms it was queued)
redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
return redis.call('ZRANK', KEYS[1], ARGV[1]) + 1
