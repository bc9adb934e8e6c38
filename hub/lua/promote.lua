-- Time moves conversations on: a request for one agent that ran out falls back to its queue, and a
-- conversation that has waited past an overflow step's time moves to that step's tier (more agents).
-- ARGV: now ms, max conversations moved per kind
-- Returns a flat list of 5-tuples: conversation, queue, tier, media, 'fallback' or 'overflow'.
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for _, c in ipairs(redis.call('ZRANGEBYSCORE', P .. 'awdue', '-inf', now, 'LIMIT', 0, limit)) do
  local cvkey = P .. 'cv:' .. c
  local cv = hash(cvkey)
  redis.call('ZREM', P .. 'awdue', c)
  if cv.q ~= nil then
    leave_line(P .. 'aw:' .. cv.want .. ':' .. cv.m, c, cv.m)
    redis.call('HSET', cvkey, 'want', '')
    if cv.offered == nil or cv.offered == '' then place(c, now) end
    out[#out + 1] = c; out[#out + 1] = cv.q; out[#out + 1] = tonumber(cv.t); out[#out + 1] = cv.m
    out[#out + 1] = 'fallback'
  end
end
for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  local after = step_times(q)
  for t = 0, #after - 1 do
    local ripe = redis.call('ZRANGEBYSCORE', P .. 'qa:' .. q .. ':' .. t, '-inf', now - after[t + 1] * 1000,
                            'LIMIT', 0, limit)
    for _, c in ipairs(ripe) do
      local cvkey = P .. 'cv:' .. c
      local cv = hash(cvkey)
      unplace(c, cv)
      redis.call('HSET', cvkey, 't', t + 1)
      place(c, now)
      out[#out + 1] = c; out[#out + 1] = q; out[#out + 1] = t + 1; out[#out + 1] = cv.m
      out[#out + 1] = 'overflow'
    end
  end
end
return out
