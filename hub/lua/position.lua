-- ARGV: conversation, now ms. Returns its 1-based position, or false when it is not waiting.
return position(ARGV[1], tonumber(ARGV[2]))
