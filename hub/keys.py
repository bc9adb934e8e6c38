"""Every Redis key and pub/sub channel name the hub uses, built in one place."""

from __future__ import annotations

PREFIX = "hub:"

# The routing model's keys are described in hub/lua/routing_lib.lua; Python reads a few of them.
QUEUES = PREFIX + "queues"
ONLINE = PREFIX + "agents:online"  # agents whose state is not offline
OFFERS = PREFIX + "offers"
ROUTING_BUILT = PREFIX + "routing:built"
ROUTING_LOCK = PREFIX + "routing:lock"
AGENT_PREFIX = PREFIX + "agent:"
OFFER_PREFIX = PREFIX + "offer:"


def agent(agent_id: str) -> str:
    return AGENT_PREFIX + agent_id


def routed(conversation_id: str) -> str:
    """A conversation in routing (waiting or offered): its queue, tier, media, score, wanted agent."""
    return f"{PREFIX}cv:{conversation_id}"


def waiting(queue_id: str, tier: int, media: str) -> str:
    return f"{PREFIX}qw:{queue_id}:{tier}:{media}"


def last_agent(contact_id: str) -> str:
    """Who served the contact last (sticky routing), for a while."""
    return f"{PREFIX}last:{contact_id}"


WRAP_UPS = PREFIX + "wrapups"  # agents in wrap-up, scored by when it ends (ms)


def wanted(agent_id: str, media: str) -> str:
    """Conversations waiting for this agent in particular."""
    return f"{PREFIX}aw:{agent_id}:{media}"


def presence(agent_id: str) -> str:
    return f"{PREFIX}presence:{agent_id}"


def missed(agent_id: str) -> str:
    """Offers the agent let time out in a row (reset when they accept one)."""
    return f"{PREFIX}missed:{agent_id}"


def offer(conversation_id: str) -> str:
    return OFFER_PREFIX + conversation_id


def accepting(conversation_id: str) -> str:
    """Set while an accepted offer is being written to the store (so reconciliation leaves it alone)."""
    return f"{PREFIX}accepting:{conversation_id}"


def rate_limit(scope: str, key: str) -> str:
    return f"{PREFIX}rl:{scope}:{key}"


def api_token(channel: str, account: str) -> str:
    """A channel's API access token, shared by every process (WeChat: per appid)."""
    return f"{PREFIX}tok:{channel}:{account}"


def api_token_lock(channel: str, account: str) -> str:
    """Held by the one process fetching that token."""
    return f"{PREFIX}tok:{channel}:{account}:lock"


def callback_seen(channel: str, key: str) -> str:
    """A vendor callback already taken (retries dedupe on it): its reply once there is one."""
    return f"{PREFIX}seen:{channel}:{key}"


def conversation_events(conversation_id: str) -> str:
    return f"{PREFIX}ev:conv:{conversation_id}"


def agent_events(agent_id: str) -> str:
    return f"{PREFIX}ev:agent:{agent_id}"


BROADCAST_EVENTS = PREFIX + "ev:all"
SUPERVISOR_EVENTS = PREFIX + "ev:supervisors"  # live queue statistics for wallboards
LAST_STATS = PREFIX + "stats:last"  # the figures last pushed (so several processes push a change once)

QUEUES_GENERATION = PREFIX + "queues:generation"  # bumped when the queue set changes; every process reloads
KB_GENERATION = PREFIX + "kb:generation"  # bumped whenever the live KB changes; every process then reloads
