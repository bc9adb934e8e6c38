-- The routing model, shared by every routing script (hub/scripts.py puts it in front of each).
--
-- Keys (P is the hub's key prefix):
--   P..'queues'              set of queue ids
--   P..'qconf'               hash: queue id = "aging;strategy;,media,;top;after": aging in points a minute,
--                            media served (",chat,email,"), the last tier (the number of overflow steps),
--                            the steps' times in s ("60,120")
--   P..'nwait:'..m           how many conversations of media m wait (in any line): 0 skips looking
--   P..'qw:'..q..':'..t..':'..m  conversations waiting in q at tier t (0 = before any overflow step)
--                            for media m, scored by virtual arrival (lowest = highest effective priority)
--   P..'qa:'..q..':'..t      the same conversations scored by the ms they were queued (for overflow)
--   P..'qr:'..q..':'..t..':'..m  agents ready with spare m capacity who join q at tier t, scored by
--                            q's strategy (lowest first)
--   P..'aw:'..a..':'..m      conversations waiting for agent a in particular (asked for, or sticky)
--   P..'awdue'               those conversations, scored by when they fall back to their queue
--   P..'cv:'..c              a routed conversation: q, t, m, score, queued, want, until, offered
--   P..'agent:'..a           agent: state, cap_<m>, load_<m>, idle_<m> (ms of the last offer of media m, or
--                            of becoming ready), day, handled, mb (memberships "queue|tier:proficiency;..."),
--                            in_<m> ('1' while in the ready sets of media m), sc_<m> (the scores written there)
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
local function parse_queue(raw)
  local aging, strategy, media, top = string.match(raw or '', '^([^;]*);([^;]*);([^;]*);([^;]*);')
  return {aging = num(aging), strategy = strategy, media = media or '', top = num(top), raw = raw or ''}
end

local function queue(q)
  local cfg = queue_cache[q]
  if cfg == nil then
    cfg = parse_queue(redis.call('HGET', P .. 'qconf', q))
    queue_cache[q] = cfg
  end
  return cfg
end

-- Read the configuration of several queues at once (those an agent belongs to).
local function load_queues(ids)
  local missing = {}
  for _, q in ipairs(ids) do
    if queue_cache[q] == nil then missing[#missing + 1] = q end
  end
  if #missing > 0 then
    local raw = redis.call('HMGET', P .. 'qconf', unpack(missing))
    for i, q in ipairs(missing) do queue_cache[q] = parse_queue(raw[i] or nil) end
  end
end

local MEDIA_MARK = {chat = ',chat,', voice = ',voice,', email = ',email,'}
local function serves(q, m) return string.find(queue(q).media, MEDIA_MARK[m], 1, true) ~= nil end

-- The media queue q serves, and the times of its overflow steps (s), as lists.
local function media_of(q)
  local out = {}
  for m in string.gmatch(queue(q).media, '[^,]+') do out[#out + 1] = m end
  return out
end

local function step_times(q)
  local out = {}
  for s in string.gmatch(string.match(queue(q).raw, '([^;]*)$') or '', '[^,]+') do out[#out + 1] = tonumber(s) end
  return out
end

local membership_cache = {}
local function memberships(a)
  local out = membership_cache[a]
  if out == nil then
    out = {}
    local ids = {}
    for q, t, prof in string.gmatch(redis.call('HGET', P .. 'agent:' .. a, 'mb') or '', '([^;|]+)|(%d+):(%d+)') do
      out[#out + 1] = {q, tonumber(t), tonumber(prof)}
      ids[#ids + 1] = q
    end
    load_queues(ids)
    membership_cache[a] = out
  end
  return out
end

local function forget_memberships(a) membership_cache[a] = nil end

-- Effective priority of a waiting conversation from its virtual-arrival score (see queue_score in Python).
local function effective(q, score, now)
  local aging = queue(q).aging
  if aging > 0 then return aging * (now - score) / 60000 end
  return (now - score) / 1e12
end

local function agent_score(a, q, prof, h, m)
  local strategy = queue(q).strategy
  local idle = num(h['idle_' .. m])
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

-- Put the agent in (or take them out of) every ready set they belong to, at their current score. The
-- agent hash remembers for which media they are in them and with which scores, so an agent who stays busy,
-- or whose score did not change, costs nothing. `h` is the agent's hash when the caller has it up to date;
-- `only` names the one medium whose load or idle time alone changed (nil: anything may have changed).
local CROSS_MEDIA = {least_occupied = true, round_robin = true}  -- scores that one medium's offer moves in all
local function refresh(a, h, only)
  local akey = P .. 'agent:' .. a
  h = h or hash(akey)
  local ms = memberships(a)
  if only ~= nil then
    for _, mb in ipairs(ms) do
      if CROSS_MEDIA[queue(mb[1]).strategy] then only = nil end
    end
  end
  for _, m in ipairs(MEDIA) do
    local free, was_in = free_for(h, m), h['in_' .. m] == '1'
    if (free or was_in) and (only == nil or m == only or free ~= was_in) then
      local old, scores = {}, {}
      for score in string.gmatch(h['sc_' .. m] or '', '[^,]+') do old[#old + 1] = score end
      for i, mb in ipairs(ms) do
        local q, t = mb[1], mb[2]
        scores[i] = '-'
        if serves(q, m) then
          local key = P .. 'qr:' .. q .. ':' .. t .. ':' .. m
          if free then
            scores[i] = string.format('%.17g', agent_score(a, q, mb[3], h, m))
            if not was_in or scores[i] ~= old[i] then redis.call('ZADD', key, scores[i], a) end
          elseif was_in then
            redis.call('ZREM', key, a)
          end
        end
      end
      local joined = table.concat(scores, ',')
      if free and (not was_in or joined ~= h['sc_' .. m]) then
        redis.call('HSET', akey, 'in_' .. m, '1', 'sc_' .. m, joined)
      elseif not free then
        redis.call('HDEL', akey, 'in_' .. m, 'sc_' .. m)
      end
    end
  end
end

local function leave_ready_sets(a)
  local akey = P .. 'agent:' .. a
  for _, m in ipairs(MEDIA) do
    if redis.call('HGET', akey, 'in_' .. m) == '1' then
      for _, mb in ipairs(memberships(a)) do redis.call('ZREM', P .. 'qr:' .. mb[1] .. ':' .. mb[2] .. ':' .. m, a) end
      redis.call('HDEL', akey, 'in_' .. m, 'sc_' .. m)
    end
  end
end

-- Into or out of a waiting line, keeping the media's count exact.
local function join_line(key, score, c, m)
  if redis.call('ZADD', key, score, c) == 1 then redis.call('INCR', P .. 'nwait:' .. m) end
end

local function leave_line(key, c, m)
  if redis.call('ZREM', key, c) == 1 then redis.call('DECR', P .. 'nwait:' .. m) end
end

-- Put a routed conversation where it waits: for its agent while that request lasts, else its queue.
local function place(c, now)
  local cv = hash(P .. 'cv:' .. c)
  if cv.q == nil then return false end
  if cv.want ~= nil and cv.want ~= '' and num(cv['until']) > now then
    join_line(P .. 'aw:' .. cv.want .. ':' .. cv.m, cv.score, c, cv.m)
    redis.call('ZADD', P .. 'awdue', cv['until'], c)
  else
    join_line(P .. 'qw:' .. cv.q .. ':' .. cv.t .. ':' .. cv.m, cv.score, c, cv.m)
    redis.call('ZADD', P .. 'qa:' .. cv.q .. ':' .. cv.t, cv.queued, c)
  end
  return true
end

local function unplace(c, cv)
  leave_line(P .. 'qw:' .. cv.q .. ':' .. cv.t .. ':' .. cv.m, c, cv.m)
  redis.call('ZREM', P .. 'qa:' .. cv.q .. ':' .. cv.t, c)
  if cv.want ~= nil and cv.want ~= '' then
    leave_line(P .. 'aw:' .. cv.want .. ':' .. cv.m, c, cv.m)
    redis.call('ZREM', P .. 'awdue', c)
  end
end

-- The conversations agent a should be offered next on media m, best first, at most `count`: the highest
-- effective priorities among everything waiting that a may take (their queues at their tier or beyond, and
-- requests for them). Every conversation waits in one line only, so the best `count` of all are among the
-- first `count` of each line.
local function best_for(a, m, count, now)
  if count < 1 or num(redis.call('GET', P .. 'nwait:' .. m)) <= 0 then return {} end
  local found = {}
  local function consider(line, q_of)
    local head = redis.call('ZRANGE', line, 0, count - 1, 'WITHSCORES')
    for j = 1, #head, 2 do
      local q = q_of or redis.call('HGET', P .. 'cv:' .. head[j], 'q')
      found[#found + 1] = {c = head[j], e = effective(q, tonumber(head[j + 1]), now), n = #found}
    end
  end
  for _, mb in ipairs(memberships(a)) do
    local q, t = mb[1], mb[2]
    if serves(q, m) then
      for u = t, queue(q).top do consider(P .. 'qw:' .. q .. ':' .. u .. ':' .. m, q) end
    end
  end
  consider(P .. 'aw:' .. a .. ':' .. m, nil)
  table.sort(found, function(x, y)
    if x.e ~= y.e then return x.e > y.e end
    return x.n < y.n
  end)
  local out = {}
  for i = 1, math.min(count, #found) do out[i] = found[i].c end
  return out
end

local function pick(a, m, now)
  return best_for(a, m, 1, now)[1]
end

local function roll_day(akey, now)
  local day = math.floor(now / DAY_MS)
  if num(redis.call('HGET', akey, 'day')) ~= day then
    redis.call('HSET', akey, 'day', day, 'handled', 0)
  end
end

-- Offer c to a. The caller refreshes a's ready sets (once, after all of a's offers of the moment). `h`: the
-- agent's hash when the caller has it up to date (it is kept so).
local function offer(a, c, now, deadline, h)
  local cvkey = P .. 'cv:' .. c
  local cv = hash(cvkey)
  unplace(c, cv)
  local akey = P .. 'agent:' .. a
  if h then
    h['load_' .. cv.m], h['idle_' .. cv.m] = tostring(num(h['load_' .. cv.m]) + 1), tostring(now)
    redis.call('HSET', akey, 'load_' .. cv.m, h['load_' .. cv.m], 'idle_' .. cv.m, h['idle_' .. cv.m])
  else
    redis.call('HINCRBY', akey, 'load_' .. cv.m, 1)
    redis.call('HSET', akey, 'idle_' .. cv.m, now)
  end
  if queue(cv.q).strategy == 'round_robin' then
    local rr = P .. 'rr:' .. cv.q
    redis.call('HSET', rr, a, redis.call('HINCRBY', rr, '#', 1))
  end
  redis.call('HSET', P .. 'offer:' .. c, 'agent', a, 'deadline', deadline)
  redis.call('ZADD', P .. 'offers', deadline, c)
  redis.call('HSET', cvkey, 'offered', a)
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
  -- Ahead: lower scores in every tier; equal scores in lower tiers, and in its own tier those Redis orders
  -- first (by member): the order the queue is announced and offered in, so no two share a place.
  local n = 1
  for t = 0, queue(cv.q).top do
    local line = P .. 'qw:' .. cv.q .. ':' .. t .. ':' .. cv.m
    local rank = t == num(cv.t) and redis.call('ZRANK', line, c)
    if rank then
      n = n + rank
    elseif t == num(cv.t) then  -- still in the agent's line it waited in, until the sweep moves it here
      n = n + redis.call('ZCOUNT', line, '-inf', '(' .. cv.score)
    else
      n = n + redis.call('ZCOUNT', line, '-inf', (t < num(cv.t) and '' or '(') .. cv.score)
    end
  end
  return n
end
