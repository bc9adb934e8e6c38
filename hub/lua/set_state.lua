-- Set an agent's state, capacities, loads and queue memberships; keep every ready set exact.
-- ARGV: agent, state, now ms, capacities "chat:3,voice:1,email:5",
--       loads "chat:1,..." ('' keeps the current loads; used when rebuilding from the store),
--       memberships "queue|tier:proficiency;..." ('-' keeps the current ones),
--       offer deadline ms and max offers: match the agent at once ('' for the deadline: do not)
-- Returns the offers made (a flat list: conversation, agent, ...).
local a, state, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local akey = P .. 'agent:' .. a
leave_ready_sets(a)
if ARGV[6] ~= '-' then
  redis.call('HSET', akey, 'mb', ARGV[6])
  forget_memberships(a)
end
local cur = redis.call('HMGET', akey, 'state', 'day', 'load_chat', 'load_voice', 'load_email')
local fields = {state = state}
if cur[1] ~= state and state == 'ready' then
  for _, m in ipairs(MEDIA) do fields['idle_' .. m] = now end
end
for m, cap in string.gmatch(ARGV[4], '(%a+):(%d+)') do fields['cap_' .. m] = cap end
for i, m in ipairs(MEDIA) do
  if not cur[i + 2] then fields['load_' .. m] = 0 end
end
for m, load in string.gmatch(ARGV[5], '(%a+):(%d+)') do fields['load_' .. m] = load end
if num(cur[2]) ~= math.floor(now / DAY_MS) then
  fields.day, fields.handled = math.floor(now / DAY_MS), 0
end
local flat = {}
for f, v in pairs(fields) do
  flat[#flat + 1] = f
  flat[#flat + 1] = v
end
redis.call('HSET', akey, unpack(flat))
if state == 'offline' then
  redis.call('SREM', P .. 'agents:online', a)
else
  redis.call('SADD', P .. 'agents:online', a)
end
if ARGV[7] == '' then
  refresh(a)
  return {}
end
match_now, match_deadline, match_limit = now, tonumber(ARGV[7]), tonumber(ARGV[8])
serve_agent(a, true)
return offers
