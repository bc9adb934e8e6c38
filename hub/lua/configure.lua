-- Set the queue set: ARGV is a flat list of 5-tuples: id, aging, strategy, media, step times ("60,120").
-- Queues no longer listed leave the set (the caller makes sure none of them has anyone waiting).
local wanted = {}
for i = 1, #ARGV, 5 do
  local q = ARGV[i]
  wanted[q] = true
  local top = 0
  for _ in string.gmatch(ARGV[i + 4], '[^,]+') do top = top + 1 end
  redis.call('DEL', P .. 'qc:' .. q)
  redis.call('HSET', P .. 'qc:' .. q, 'aging', ARGV[i + 1], 'strategy', ARGV[i + 2], 'media', ARGV[i + 3],
             'after', ARGV[i + 4], 'top', top)
  redis.call('SADD', P .. 'queues', q)
end
for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  if not wanted[q] then
    redis.call('SREM', P .. 'queues', q)
    redis.call('DEL', P .. 'qc:' .. q)
  end
end
return 1
