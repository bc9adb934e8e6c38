-- Matching, shared by the scripts that offer (match, and set_state / enqueue when asked to match at once).
-- Each offer gives an agent the waiting conversation with the highest effective priority among those they
-- may take; which free agent goes first is the queue's strategy (its ready set's order), inner tiers (fully
-- skilled agents) before overflow tiers.
-- Triggers: 'a:<agent>' (this agent is free), 'r:<agent>:<media>' (this agent finished one conversation of
-- that media: release it, then as 'a:'), 'q:<queue>:<media>' (something arrived in this queue), or '*'
-- (every queue).
local offers, match_now, match_deadline, match_limit = {}, 0, 0, 0

local function offer_one(a, m)
  local c = pick(a, m, match_now)
  if c == nil then return false end
  offer(a, c, match_now, match_deadline)
  offers[#offers + 1] = c
  offers[#offers + 1] = a
  return true
end

-- Offer agent a what they may take now, and refresh their ready sets when anything changed. `changed`: the
-- caller changed the agent already (true: anything; a medium's name: only that medium's load).
local function serve_agent(a, changed)
  local h = hash(P .. 'agent:' .. a)
  local touched = changed  -- false, a medium, or true (more than one)
  if h.state == 'ready' then
    for _, m in ipairs(MEDIA) do
      local free = math.min(num(h['cap_' .. m]) - num(h['load_' .. m]), match_limit - #offers / 2)
      for _, c in ipairs(best_for(a, m, free, match_now)) do
        offer(a, c, match_now, match_deadline, h)
        offers[#offers + 1] = c
        offers[#offers + 1] = a
        if touched == false then touched = m elseif touched ~= m then touched = true end
      end
    end
  end
  if touched == true then
    refresh(a, h)
  elseif touched then
    refresh(a, h, touched)
  end
end

local function waiting_from(q, t, m)
  for u = t, queue(q).top do
    if redis.call('ZCARD', P .. 'qw:' .. q .. ':' .. u .. ':' .. m) > 0 then return true end
  end
  return false
end

local function serve_queue(q, m)
  while #offers < 2 * match_limit do
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
    refresh(agent, nil, m)
  end
end

-- Run the triggers triggers[first..]; returns a flat list: conversation, agent, conversation, agent, ...
local function match_triggers(triggers, first, now, deadline, limit)
  match_now, match_deadline, match_limit = now, deadline, limit
  for i = first, #triggers do
    local trigger = triggers[i]
    if trigger == '*' then
      for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
        for _, m in ipairs(media_of(q)) do serve_queue(q, m) end
      end
    elseif string.sub(trigger, 1, 2) == 'a:' then
      serve_agent(string.sub(trigger, 3), false)
    elseif string.sub(trigger, 1, 2) == 'r:' then
      local a, m = string.match(trigger, '^r:(.*):(%a+)$')
      local akey = P .. 'agent:' .. a
      if redis.call('HINCRBY', akey, 'load_' .. m, -1) < 0 then redis.call('HSET', akey, 'load_' .. m, 0) end
      serve_agent(a, m)
    else
      local q, m = string.match(trigger, '^q:(.*):(%a+)$')
      serve_queue(q, m)
    end
  end
  return offers
end
