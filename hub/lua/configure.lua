-- Set the queue set: ARGV is a flat list of 5-tuples: id, aging, strategy, media ("chat,email"), step times
-- ("60,120"); stored in the form routing_lib.lua reads quickly.
-- Queues no longer listed leave the set (the caller makes sure none of them has anyone waiting).
local wanted = {}
for i = 1, #ARGV, 5 do
  local q = ARGV[i]
  wanted[q] = true
  local _, top = string.gsub(ARGV[i + 4], '[^,]+', '')
  redis.call('HSET', P .. 'qconf', q,
             table.concat({ARGV[i + 1], ARGV[i + 2], ',' .. ARGV[i + 3] .. ',', top, ARGV[i + 4]}, ';'))
  redis.call('SADD', P .. 'queues', q)
end
for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  if not wanted[q] then
    redis.call('SREM', P .. 'queues', q)
    redis.call('HDEL', P .. 'qconf', q)
  end
end
return 1
