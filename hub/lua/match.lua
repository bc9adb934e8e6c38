-- Offer waiting conversations to free agents (matching_lib.lua says how).
-- ARGV: now ms, offer deadline ms, max offers, then the triggers.
-- Returns a flat list: conversation, agent, conversation, agent, ...
return match_triggers(ARGV, 4, tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
