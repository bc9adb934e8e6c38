-- Route a conversation (once): into its queue at a tier, or to one agent until a time.
-- ARGV: conversation, queue, media, score (virtual arrival), queued ms, tier, wanted agent or '',
--       wanted until ms or '', now ms, then optionally: offer deadline ms, max offers, triggers to match at once
-- Returns its position in its line (0: not routed), then the offers made (conversation, agent, ...).
local c = ARGV[1]
local cvkey = P .. 'cv:' .. c
if redis.call('EXISTS', cvkey) == 0 then
  redis.call('HSET', cvkey, 'q', ARGV[2], 'm', ARGV[3], 'score', ARGV[4], 'queued', ARGV[5],
             't', math.min(tonumber(ARGV[6]), queue(ARGV[2]).top), 'want', ARGV[7], 'until', ARGV[8])
  place(c, tonumber(ARGV[9]))
end
local now = tonumber(ARGV[9])
local out = {position(c, now) or 0}
if #ARGV > 11 then
  for _, made in ipairs(match_triggers(ARGV, 12, now, tonumber(ARGV[10]), tonumber(ARGV[11]))) do
    out[#out + 1] = made
  end
end
return out
