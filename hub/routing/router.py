"""Minimal routing until the ACD lands: one queue, FIFO, longest-idle ready agent, per-agent capacity.

Every conditional change is one Lua script, so any number of hub processes can route at once without
assigning a conversation twice or overrunning an agent's capacity. The whole state is rebuildable
from the store (``rebuild``): waiting conversations and ready agents with their current load.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from hub import keys
from hub.models import now_ms
from hub.scripts import Scripts

# An accepted offer is written to the store within this time, or the process died doing it.
ACCEPTING_MS = 60_000


@dataclass(frozen=True, slots=True)
class Offer:
    conversation_id: str
    agent_id: str
    deadline_ms: int


@dataclass(frozen=True, slots=True)
class AgentLoad:
    agent_id: str
    state: str
    capacity: int
    load: int


class Router:
    def __init__(self, redis: Redis, scripts: Scripts, offer_timeout_s: float) -> None:
        # redis-py types its replies as unions over every decode mode; this client decodes to str.
        self._redis: Any = redis
        self._scripts = scripts
        self._offer_timeout_ms = int(offer_timeout_s * 1000)

    async def enqueue(self, conversation_id: str, queued_at_ms: int) -> int:
        """Add to the waiting queue (idempotent); returns the 1-based position."""
        return int(await self._scripts.run("enqueue", [keys.WAITING], [conversation_id, queued_at_ms]))

    async def position(self, conversation_id: str) -> int | None:
        rank = await self._redis.zrank(keys.WAITING, conversation_id)
        return None if rank is None else int(rank) + 1

    async def waiting(self) -> int:
        return int(await self._redis.zcard(keys.WAITING))

    async def waiting_head(self, count: int) -> list[str]:
        """The first ``count`` waiting conversations, in queue order."""
        return list(await self._redis.zrange(keys.WAITING, 0, count - 1))

    async def match(self, limit: int = 100) -> list[Offer]:
        now = now_ms()
        deadline = now + self._offer_timeout_ms
        flat = await self._scripts.run(
            "match", [keys.WAITING, keys.READY, keys.OFFERS],
            [now, deadline, limit, keys.AGENT_PREFIX, keys.OFFER_PREFIX],
        )
        return [Offer(flat[i], flat[i + 1], deadline) for i in range(0, len(flat), 2)]

    async def accept(self, conversation_id: str, agent_id: str) -> bool:
        keys_ = [keys.offer(conversation_id), keys.OFFERS, keys.accepting(conversation_id)]
        return bool(await self._scripts.run("accept", keys_, [conversation_id, agent_id, ACCEPTING_MS]))

    async def unrouted(self, conversation_ids: list[str]) -> list[str]:
        """Those of the given (queued, per the store) conversations that Redis has lost track of:
        neither waiting, nor offered, nor being accepted."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for conversation_id in conversation_ids:
                pipe.zscore(keys.WAITING, conversation_id)
                pipe.exists(keys.offer(conversation_id), keys.accepting(conversation_id))
            replies = await pipe.execute()
        return [c for c, score, held in zip(conversation_ids, replies[::2], replies[1::2], strict=True)
                if score is None and not held]

    async def withdraw(
        self, conversation_id: str, agent_id: str = "", *, requeue: bool = True, due_by_ms: int | None = None
    ) -> str | None:
        """Take back an offer; returns the agent it was withdrawn from, or None if there was none."""
        keys_ = [keys.offer(conversation_id), keys.OFFERS, keys.WAITING, keys.READY]
        args = [conversation_id, agent_id, "1" if requeue else "0", now_ms(), keys.AGENT_PREFIX,
                "" if due_by_ms is None else due_by_ms]
        return await self._scripts.run("withdraw", keys_, args) or None

    async def expire_offers(self, limit: int = 500) -> list[tuple[str, str]]:
        """Return every offer past its deadline to the queue; returns (conversation, agent) pairs."""
        now = now_ms()
        due = await self._redis.zrangebyscore(keys.OFFERS, "-inf", now, start=0, num=limit)
        expired = []
        for conversation_id in due:
            agent_id = await self.withdraw(conversation_id, due_by_ms=now)
            if agent_id is not None:
                expired.append((conversation_id, agent_id))
        return expired

    async def note_missed(self, agent_id: str) -> int:
        """An offer to the agent timed out: how many have, in a row (kept a day at most)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(keys.missed(agent_id))
            pipe.expire(keys.missed(agent_id), 24 * 3600)
            count, _ = await pipe.execute()
        return int(count)

    async def clear_missed(self, agent_id: str) -> None:
        await self._redis.delete(keys.missed(agent_id))

    async def dequeue(self, conversation_id: str) -> str | None:
        """The conversation no longer waits (resolved or abandoned): drop it and any open offer.
        Returns the agent whose offer was taken back, if there was one."""
        agent_id = await self.withdraw(conversation_id, requeue=False)
        await self._redis.zrem(keys.WAITING, conversation_id)
        return agent_id

    async def release(self, agent_id: str) -> None:
        """The agent finished one conversation: one unit of capacity is free again."""
        await self._scripts.run("release", [keys.agent(agent_id), keys.READY], [agent_id, now_ms()])

    async def set_state(self, agent_id: str, state: str, capacity: int, load: int | None = None) -> None:
        args = [agent_id, state, capacity, now_ms(), "" if load is None else load]
        await self._scripts.run("set_state", [keys.agent(agent_id), keys.READY, keys.ONLINE], args)

    async def online(self) -> list[str]:
        """Agents whose state is ready or not ready (anything but offline)."""
        return sorted(await self._redis.smembers(keys.ONLINE))

    async def correct_load(self, agent_id: str, seen: int, load: int) -> bool:
        """Set the agent's load to ``load`` if it is still ``seen``."""
        args = [agent_id, seen, load, now_ms()]
        return bool(await self._scripts.run("correct_load", [keys.agent(agent_id), keys.READY], args))

    async def agent_load(self, agent_id: str) -> AgentLoad | None:
        raw = await self._redis.hgetall(keys.agent(agent_id))
        if not raw:
            return None
        return AgentLoad(agent_id, raw.get("state", "offline"), int(raw.get("cap", 0)), int(raw.get("load", 0)))

    async def offer_of(self, conversation_id: str) -> str | None:
        return await self._redis.hget(keys.offer(conversation_id), "agent")

    async def offers_of(self, agent_id: str) -> list[Offer]:
        """The agent's open offers (a scan of all open offers: there are at most a few per agent)."""
        conversations = await self._redis.zrange(keys.OFFERS, 0, -1, withscores=True)
        async with self._redis.pipeline(transaction=False) as pipe:
            for conversation_id, _ in conversations:
                pipe.hget(keys.offer(conversation_id), "agent")
            owners = await pipe.execute()
        return [Offer(c, agent_id, int(deadline))
                for (c, deadline), owner in zip(conversations, owners, strict=True) if owner == agent_id]

    async def is_built(self) -> bool:
        return bool(await self._redis.exists(keys.ROUTING_BUILT))

    async def rebuild(self, waiting: list[tuple[str, int]], agents: list[AgentLoad]) -> bool:
        """Restore queue and presence from the store's facts, once, when Redis has lost them.

        Returns False when another process holds the rebuild lock or the state is already built.
        """
        if not await self._redis.set(keys.ROUTING_LOCK, "1", nx=True, px=30_000):
            return False
        try:
            if await self.is_built():
                return False
            for conversation_id, score in waiting:
                await self.enqueue(conversation_id, score)
            for agent in agents:
                await self.set_state(agent.agent_id, agent.state, agent.capacity, agent.load)
            await self._redis.set(keys.ROUTING_BUILT, str(now_ms()))
            return True
        finally:
            await self._redis.delete(keys.ROUTING_LOCK)
