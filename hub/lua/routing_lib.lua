-- The routing model, shared by every routing script (hub/scripts.py puts it in front of each).
--
-- Keys (P is the hub's key prefix):
--   P..'queues'              set of queue ids
--   P..'qc:'..q              queue hash: aging (points a minute), strategy, media ("chat,email"),
--                            after (overflow step times in s, "60,120"), top (number of steps)
--   P..'qw:'..q..':'..t..':'..m  conversations waiting in q at tier t (0 = before any overflow step)
--                            for media m, scored by virtual arrival (lowest = highest effective priority)
--   P..'qa:'..q..':'..t      the same conversations scored by the ms they were queued (for overflow)
--   P..'qr:'..q..':'..t..':'..m  agents ready with spare m capacity who join q at tier t, scored by
--                            q's strategy (lowest first)
--   P..'aw:'..a..':'..m      conversations waiting for agent a in particular (asked for, or sticky)
--   P..'awdue'               those conversations, scored by when they fall back to their queue
--   P..'cv:'..c              a routed conversation: q, t, m, score, queued, want, until, offered
--   P..'agent:'..a           agent: state, cap_<m>, load_<m>, idle (ms), day, handled
--   P..'am:'..a              agent's memberships: field "q|t" = proficiency
--   P..'rr:'..q              round robin: field '#' is the queue's counter, field a the agent's last turn
--   P..'offer:'..c, P..'offers'  open offers (hash; zset of deadlines)
local P = '{{PREFIX}}'
local MEDIA = {'chat', 'voice', 'email'}
local DAY_MS = 86400000

local function hash(key)
  local flat = redis.call('HGETALL', key)
  local out = {}
  for i = 1, #flat, 2 do out[flat[i]] = flat[i + 1] end
  return out
end

local function num(value) return tonumber(value or 0) or 0 end

local queue_cache = {}
local function queue(q)
  local cfg = queue_cache[q]
  if cfg == nil then
    local h = hash(P .. 'qc:' .. q)
    cfg = {aging = num(h.aging), strategy = h.strategy or 'longest_idle', top = num(h.top), after = {}, media = {}}
    for s in string.gmatch(h.after or '', '[^,]+') do cfg.after[#cfg.after + 1] = tonumber(s) end
    for s in string.gmatch(h.media or '', '[^,]+') do cfg.media[s] = true end
    queue_cache[q] = cfg
  end
  return cfg
end

local function memberships(a)
  local flat = redis.call('HGETALL', P .. 'am:' .. a)
  local out = {}
  for i = 1, #flat, 2 do
    local q, t = string.match(flat[i], '^(.*)|(%d+)$')
    out[#out + 1] = {q, tonumber(t), tonumber(flat[i + 1])}
  end
  return out
end

-- Effective priority of a waiting conversation from its virtual-arrival score (see queue_score in Python).
local function effective(q, score, now)
  local aging = queue(q).aging
  if aging > 0 then return aging * (now - score) / 60000 end
  return (now - score) / 1e12
end

local function agent_score(a, q, prof, h)
  local strategy = queue(q).strategy
  local idle = num(h.idle)
  local idle_s = math.floor(idle / 1000)
  if strategy == 'least_occupied' then
    local load, cap = 0, 0
    for _, m in ipairs(MEDIA) do
      load = load + num(h['load_' .. m])
      cap = cap + num(h['cap_' .. m])
    end
    local share = 1000
    if cap > 0 then share = math.floor(1000 * load / cap) end
    return share * 1e10 + idle_s
  elseif strategy == 'fewest_handled' then
    return num(h.handled) * 1e10 + idle_s
  elseif strategy == 'round_robin' then
    return num(redis.call('HGET', P .. 'rr:' .. q, a))
  elseif strategy == 'highest_proficiency' then
    return (5 - prof) * 1e10 + idle_s
  end
  return idle
end

local function free_for(h, m)
  return h.state == 'ready' and num(h['load_' .. m]) < num(h['cap_' .. m])
end

-- Put the agent in (or take them out of) every ready set they belong to, at their current score.
local function refresh(a)
  local h = hash(P .. 'agent:' .. a)
  for _, mb in ipairs(memberships(a)) do
    local q, t, prof = mb[1], mb[2], mb[3]
    local served = queue(q).media
    local score = nil
    for _, m in ipairs(MEDIA) do
      local key = P .. 'qr:' .. q .. ':' .. t .. ':' .. m
      if served[m] and free_for(h, m) then
        score = score or agent_score(a, q, prof, h)
        redis.call('ZADD', key, score, a)
      else
        redis.call('ZREM', key, a)
      end
    end
  end
end

local function leave_ready_sets(a)
  for _, mb in ipairs(memberships(a)) do
    for _, m in ipairs(MEDIA) do redis.call('ZREM', P .. 'qr:' .. mb[1] .. ':' .. mb[2] .. ':' .. m, a) end
  end
end

-- Put a routed conversation where it waits: for its agent while that request lasts, else its queue.
local function place(c, now)
  local cv = hash(P .. 'cv:' .. c)
  if cv.q == nil then return false end
  if cv.want ~= nil and cv.want ~= '' and num(cv['until']) > now then
    redis.call('ZADD', P .. 'aw:' .. cv.want .. ':' .. cv.m, cv.score, c)
    redis.call('ZADD', P .. 'awdue', cv['until'], c)
  else
    redis.call('ZADD', P .. 'qw:' .. cv.q .. ':' .. cv.t .. ':' .. cv.m, cv.score, c)
    redis.call('ZADD', P .. 'qa:' .. cv.q .. ':' .. cv.t, cv.queued, c)
  end
  return true
end

local function unplace(c, cv)
  redis.call('ZREM', P .. 'qw:' .. cv.q .. ':' .. cv.t .. ':' .. cv.m, c)
  redis.call('ZREM', P .. 'qa:' .. cv.q .. ':' .. cv.t, c)
  if cv.want ~= nil and cv.want ~= '' then
    redis.call('ZREM', P .. 'aw:' .. cv.want .. ':' .. cv.m, c)
    redis.call('ZREM', P .. 'awdue', c)
  end
end

-- The conversation agent a should be offered next on media m: the highest effective priority among
-- everything waiting that a may take (their queues at their tier or beyond, and requests for them).
local function pick(a, m, now)
  local best, best_eff = nil, nil
  for _, mb in ipairs(memberships(a)) do
    local q, t = mb[1], mb[2]
    if queue(q).media[m] then
      for u = t, queue(q).top do
        local head = redis.call('ZRANGE', P .. 'qw:' .. q .. ':' .. u .. ':' .. m, 0, 0, 'WITHSCORES')
        if #head > 0 then
          local e = effective(q, tonumber(head[2]), now)
          if best == nil or e > best_eff then best, best_eff = head[1], e end
        end
      end
    end
  end
  local head = redis.call('ZRANGE', P .. 'aw:' .. a .. ':' .. m, 0, 0, 'WITHSCORES')
  if #head > 0 then
    local q = redis.call('HGET', P .. 'cv:' .. head[1], 'q')
    local e = effective(q, tonumber(head[2]), now)
    if best == nil or e > best_eff then best = head[1] end
  end
  return best
end

local function roll_day(akey, now)
  local day = math.floor(now / DAY_MS)
  if num(redis.call('HGET', akey, 'day')) ~= day then
    redis.call('HSET', akey, 'day', day, 'handled', 0)
  end
end

local function offer(a, c, now, deadline)
  local cvkey = P .. 'cv:' .. c
  local cv = hash(cvkey)
  unplace(c, cv)
  local akey = P .. 'agent:' .. a
  redis.call('HINCRBY', akey, 'load_' .. cv.m, 1)
  redis.call('HSET', akey, 'idle', now)
  local rr = P .. 'rr:' .. cv.q
  redis.call('HSET', rr, a, redis.call('HINCRBY', rr, '#', 1))
  redis.call('HSET', P .. 'offer:' .. c, 'agent', a, 'deadline', deadline)
  redis.call('ZADD', P .. 'offers', deadline, c)
  redis.call('HSET', cvkey, 'offered', a)
  refresh(a)
end

-- Give back one unit of the agent's capacity for media m.
local function unload(a, m)
  local akey = P .. 'agent:' .. a
  if num(redis.call('HINCRBY', akey, 'load_' .. m, -1)) < 0 then redis.call('HSET', akey, 'load_' .. m, 0) end
  refresh(a)
end

-- 1-based place in the line of the conversation's queue (its media, every tier), or in its agent's line.
local function position(c, now)
  local cv = hash(P .. 'cv:' .. c)
  if cv.q == nil or (cv.offered ~= nil and cv.offered ~= '') then return false end
  if cv.want ~= nil and cv.want ~= '' and num(cv['until']) > now then
    local rank = redis.call('ZRANK', P .. 'aw:' .. cv.want .. ':' .. cv.m, c)
    if rank then return rank + 1 end
    return false
  end
  local n = 1
  for t = 0, queue(cv.q).top do
    n = n + redis.call('ZCOUNT', P .. 'qw:' .. cv.q .. ':' .. t .. ':' .. cv.m, '-inf', '(' .. cv.score)
  end
  return n
end
