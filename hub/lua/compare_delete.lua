-- Delete a key only if it still holds the value the caller saw (a lock it owns, a token it found stale).
-- KEYS[1] key   ARGV[1] value   Returns 1 when deleted.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
