-- An agent is done with one conversation (resolved or transferred): free one unit of that media.
-- ARGV: agent, media
unload(ARGV[1], ARGV[2])
return 1
