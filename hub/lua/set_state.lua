-- Set an agent's state, capacities, loads and queue memberships; keep every ready set exact.
-- ARGV: agent, state, now ms, capacities "chat:3,voice:1,email:5",
--       loads "chat:1,..." ('' keeps the current loads; used when rebuilding from the store),
--       memberships "queue|tier:proficiency;..." ('-' keeps the current ones)
local a, state, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local akey = P .. 'agent:' .. a
leave_ready_sets(a)
if ARGV[6] ~= '-' then
  redis.call('HSET', akey, 'mb', ARGV[6])
  forget_memberships(a)
end
if redis.call('HGET', akey, 'state') ~= state and state == 'ready' then
  redis.call('HSET', akey, 'idle_chat', now, 'idle_voice', now, 'idle_email', now)
end
redis.call('HSET', akey, 'state', state)
for m, cap in string.gmatch(ARGV[4], '(%a+):(%d+)') do redis.call('HSET', akey, 'cap_' .. m, cap) end
for _, m in ipairs(MEDIA) do
  if not redis.call('HGET', akey, 'load_' .. m) then redis.call('HSET', akey, 'load_' .. m, 0) end
end
for m, load in string.gmatch(ARGV[5], '(%a+):(%d+)') do redis.call('HSET', akey, 'load_' .. m, load) end
if state == 'offline' then
  redis.call('SREM', P .. 'agents:online', a)
else
  redis.call('SADD', P .. 'agents:online', a)
end
roll_day(akey, now)
refresh(a)
return 1
