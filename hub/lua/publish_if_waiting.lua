-- Publish a "still waiting" event only while the conversation is in the waiting queue, so that such an
-- event can never reach a channel after the conversation was offered or assigned (Redis runs this alone).
-- KEYS[1] waiting zset   ARGV[1] conversation id   ARGV[2] event   ARGV[3..] channels
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
for i = 3, #ARGV do
  redis.call('PUBLISH', ARGV[i], ARGV[2])
end
return 1
