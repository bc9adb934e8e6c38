-- Route a conversation (once): into its queue at a tier, or to one agent until a time; returns its position.
-- ARGV: conversation, queue, media, score (virtual arrival), queued ms, tier, wanted agent or '',
--       wanted until ms or '', now ms
local c = ARGV[1]
local cvkey = P .. 'cv:' .. c
if redis.call('EXISTS', cvkey) == 0 then
  redis.call('HSET', cvkey, 'q', ARGV[2], 'm', ARGV[3], 'score', ARGV[4], 'queued', ARGV[5],
             't', math.min(tonumber(ARGV[6]), queue(ARGV[2]).top), 'want', ARGV[7], 'until', ARGV[8])
  place(c, tonumber(ARGV[9]))
end
return position(c, tonumber(ARGV[9]))
