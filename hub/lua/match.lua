-- Offer waiting conversations to free agents. Each offer gives an agent the waiting conversation with
-- the highest effective priority among those they may take; which free agent goes first is the queue's
-- strategy (its ready set's order), inner tiers (fully skilled agents) before overflow tiers.
-- ARGV: now ms, offer deadline ms, max offers, then triggers: 'a:<agent>' (this agent is free),
--       'r:<agent>:<media>' (this agent finished one conversation of that media: release it, then as 'a:'),
--       'q:<queue>:<media>' (something arrived in this queue), or '*' (every queue).
-- Returns a flat list: conversation, agent, conversation, agent, ...
local now, deadline, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}

local function offer_one(a, m)
  local c = pick(a, m, now)
  if c == nil then return false end
  offer(a, c, now, deadline)
  out[#out + 1] = c
  out[#out + 1] = a
  return true
end

local function serve_agent(a, changed)
  local h = hash(P .. 'agent:' .. a)
  local offered = changed
  if h.state ~= 'ready' then
    if offered then refresh(a) end
    return
  end
  for _, m in ipairs(MEDIA) do
    local free = math.min(num(h['cap_' .. m]) - num(h['load_' .. m]), limit - #out / 2)
    for _, c in ipairs(best_for(a, m, free, now)) do
      offer(a, c, now, deadline)
      out[#out + 1] = c
      out[#out + 1] = a
      offered = true
    end
  end
  if offered then refresh(a) end
end

local function waiting_from(q, t, m)
  for u = t, queue(q).top do
    if redis.call('ZCARD', P .. 'qw:' .. q .. ':' .. u .. ':' .. m) > 0 then return true end
  end
  return false
end

local function serve_queue(q, m)
  while #out < 2 * limit do
    local agent = nil
    for t = 0, queue(q).top do
      if not waiting_from(q, t, m) then break end
      local head = redis.call('ZRANGE', P .. 'qr:' .. q .. ':' .. t .. ':' .. m, 0, 0)
      if #head > 0 then
        agent = head[1]
        break
      end
    end
    if agent == nil or not offer_one(agent, m) then break end
    refresh(agent)
  end
end

for i = 4, #ARGV do
  local trigger = ARGV[i]
  if trigger == '*' then
    for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
      for m in pairs(queue(q).media) do serve_queue(q, m) end
    end
  elseif string.sub(trigger, 1, 2) == 'a:' then
    serve_agent(string.sub(trigger, 3), false)
  elseif string.sub(trigger, 1, 2) == 'r:' then
    local a, m = string.match(trigger, '^r:(.*):(%a+)$')
    local akey = P .. 'agent:' .. a
    if redis.call('HINCRBY', akey, 'load_' .. m, -1) < 0 then redis.call('HSET', akey, 'load_' .. m, 0) end
    serve_agent(a, true)
  else
    local q, m = string.match(trigger, '^q:(.*):(%a+)$')
    serve_queue(q, m)
  end
end
return out
