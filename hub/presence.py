"""Which agents have a console open, across every hub process.

Each agent websocket is a member of its agent's presence set, with an expiry that the process holding
it keeps pushing forward. An agent none of whose members is alive (every console closed, or the process
holding them died) is away: the sweeper sets them offline, so no customer waits on an offer to nobody.
The TTL is the grace period, long enough for a console to reload.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from hub import keys
from hub.ids import new_id
from hub.models import now_ms

GRACE = "rebuilt"  # the presence member standing in for consoles not yet back after Redis lost its data


class Presence:
    def __init__(self, redis: Redis, ttl_s: float) -> None:
        self._redis: Any = redis
        self._ttl_ms = int(ttl_s * 1000)
        self._local: dict[str, str] = {}  # socket id → agent id, for the sockets this process holds

    async def join(self, agent_id: str) -> str:
        socket_id = new_id()
        self._local[socket_id] = agent_id
        await self._redis.zadd(keys.presence(agent_id), {socket_id: now_ms() + self._ttl_ms})
        return socket_id

    async def leave(self, socket_id: str) -> None:
        """The socket closed: it stays counted for one more TTL, the grace for a console to reload."""
        agent_id = self._local.pop(socket_id, None)
        if agent_id is not None:
            await self._redis.zadd(keys.presence(agent_id), {socket_id: now_ms() + self._ttl_ms})

    async def refresh(self) -> None:
        """Keep this process's sockets alive for another TTL."""
        await self._extend([(agent_id, socket_id) for socket_id, agent_id in self._local.items()])

    async def grace(self, agent_ids: list[str]) -> None:
        """Redis lost who is present (it restarted, or every hub did): these agents, ready or not in the
        store, count as present for one more TTL, time for their consoles to come back."""
        await self._extend([(agent_id, GRACE) for agent_id in agent_ids])

    async def _extend(self, members: list[tuple[str, str]]) -> None:
        """(agent, presence member) pairs, alive for another TTL from now, in one round trip."""
        if not members:
            return
        expiry = now_ms() + self._ttl_ms
        async with self._redis.pipeline(transaction=False) as pipe:
            for agent_id, member in members:
                pipe.zadd(keys.presence(agent_id), {member: expiry})
            await pipe.execute()

    async def absent(self, agent_ids: list[str]) -> list[str]:
        """Those agents with no live console anywhere."""
        now = now_ms()
        async with self._redis.pipeline(transaction=False) as pipe:
            for agent_id in agent_ids:
                pipe.zremrangebyscore(keys.presence(agent_id), "-inf", now)
                pipe.zcard(keys.presence(agent_id))
            replies = await pipe.execute()
        return [agent_id for agent_id, alive in zip(agent_ids, replies[1::2], strict=True) if not alive]
