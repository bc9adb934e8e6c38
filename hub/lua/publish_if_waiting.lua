-- Publish a "still waiting" event only while the conversation waits (routed and not offered), so that
-- such an event can never reach a channel after the conversation was offered or assigned (Redis runs
-- this alone). KEYS[1] the conversation's routing hash   ARGV[1] event   ARGV[2..] channels
local cv = redis.call('HMGET', KEYS[1], 'q', 'offered')
if not cv[1] or (cv[2] and cv[2] ~= '') then
  return 0
end
for i = 2, #ARGV do
  redis.call('PUBLISH', ARGV[i], ARGV[1])
end
return 1
