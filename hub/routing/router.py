"""The ACD's state in Redis: queues with tiers, agents' ready sets, offers. Every change is one Lua script.

The model (keys, scores, strategies) is described in ``hub/lua/routing_lib.lua``. Any number of hub
processes route at once without assigning a conversation twice or overrunning an agent's capacity,
and the whole state is rebuildable from the store (``rebuild``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from heapq import merge
from itertools import islice
from typing import Any

from redis.asyncio import Redis

from hub import keys
from hub.models import now_ms
from hub.routing.queues import QueueSpec, default_queues, steps
from hub.scripts import Scripts

# An accepted offer is written to the store within this time, or the process died doing it.
ACCEPTING_MS = 60_000
MEDIA = ("chat", "voice", "email")
MAX_PROMOTED = 1000


@dataclass(frozen=True, slots=True)
class Offer:
    conversation_id: str
    agent_id: str
    deadline_ms: int


@dataclass(frozen=True, slots=True)
class AgentLoad:
    agent_id: str
    state: str
    capacities: dict[str, int] = field(default_factory=dict)
    loads: dict[str, int] = field(default_factory=dict)

    @property
    def capacity(self) -> int:
        return sum(self.capacities.values())

    @property
    def load(self) -> int:
        return sum(self.loads.values())


@dataclass(frozen=True, slots=True)
class Routed:
    """A conversation as routing sees it (to enqueue it, or to rebuild the queues from the store)."""

    conversation_id: str
    queue_id: str
    media: str
    score: int  # virtual arrival: see queue_score
    queued_ms: int
    tier: int = 0
    wanted_agent: str | None = None
    wanted_until_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Moved:
    """A conversation that time moved on: to a later overflow tier, or back to its queue from one agent."""

    conversation_id: str
    queue_id: str
    tier: int
    media: str
    kind: str  # "overflow" (reached step ``tier``) or "fallback" (its wanted agent's time ran out)


def agent_trigger(agent_id: str) -> str:
    return f"a:{agent_id}"


def release_trigger(agent_id: str, media: str) -> str:
    """The agent finished a conversation of this media: free the slot and match them, in one step."""
    return f"r:{agent_id}:{media}"


def queue_trigger(queue_id: str, media: str) -> str:
    return f"q:{queue_id}:{media}"


EVERY_QUEUE = "*"


def _pairs(spec: dict[str, int]) -> str:
    return ",".join(f"{media}:{int(value)}" for media, value in sorted(spec.items()))


def _counts(raw: dict[str, str], prefix: str) -> dict[str, int]:
    return {m: int(raw.get(prefix + m, 0)) for m in MEDIA}


class Router:
    def __init__(self, redis: Redis, scripts: Scripts, offer_timeout_s: float) -> None:
        # redis-py types its replies as unions over every decode mode; this client decodes to str.
        self._redis: Any = redis
        self._scripts = scripts
        self._offer_timeout_ms = int(offer_timeout_s * 1000)
        self.queues: dict[str, QueueSpec] = {queue.id: queue for queue in default_queues()}  # until configured

    # ----- queues -----------------------------------------------------------------------------
    async def configure(self, queues: Sequence[QueueSpec]) -> None:
        """Make this set of queues the one routing uses (every process's Redis view of it)."""
        args: list[Any] = []
        for queue in queues:
            args += [queue.id, queue.aging_per_min, queue.strategy.value, ",".join(queue.media),
                     ",".join(str(step.after_s) for step in steps(queue))]
        await self._scripts.run("configure", [], args)
        self.queues = {queue.id: queue for queue in queues}

    def use(self, queues: Sequence[QueueSpec]) -> None:
        """Take up a queue set another process configured already."""
        self.queues = {queue.id: queue for queue in queues}

    async def enqueue(self, routed: Routed) -> int | None:
        """Into routing (idempotent); returns the 1-based position in its line."""
        position, _ = await self.enqueue_and_match(routed, ())
        return position

    async def enqueue_and_match(self, routed: Routed, triggers: Sequence[str],
                                limit: int = 100) -> tuple[int | None, list[Offer]]:
        """Into routing, then match ``triggers`` in the same step; returns the position it was given
        (before matching) and the offers made."""
        now = now_ms()
        deadline = now + self._offer_timeout_ms
        flat = await self._scripts.run("enqueue", [], [
            routed.conversation_id, routed.queue_id, routed.media, routed.score, routed.queued_ms, routed.tier,
            routed.wanted_agent or "", routed.wanted_until_ms or "", now,
            *((deadline, limit, *triggers) if triggers else ())])
        return (int(flat[0]) or None), self._offers(flat[1:], deadline)

    async def position(self, conversation_id: str) -> int | None:
        position = await self._scripts.run("position", [], [conversation_id, now_ms()])
        return int(position) if position else None

    async def routed_queue(self, conversation_id: str) -> tuple[str, str] | None:
        """(queue, media) of a conversation in routing."""
        [line] = await self.lines_of([conversation_id])
        return line

    async def lines_of(self, conversation_ids: Sequence[str]) -> list[tuple[str, str] | None]:
        """(queue, media) of each conversation in routing; None for those not in it."""
        if not conversation_ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for conversation_id in conversation_ids:
                pipe.hmget(keys.routed(conversation_id), "q", "m")
            return [None if q is None else (q, m) for q, m in await pipe.execute()]

    def _lines(self, queue_id: str, media: str) -> list[str]:
        queue = self.queues.get(queue_id)
        tiers = len(steps(queue)) + 1 if queue is not None else 1
        return [keys.waiting(queue_id, tier, media) for tier in range(tiers)]

    async def waiting(self, queue_id: str | None = None) -> int:
        """How many wait (in one queue, or in all), not counting those offered right now."""
        lines = [line for q in ([queue_id] if queue_id else self.queues) for m in MEDIA for line in self._lines(q, m)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for line in lines:
                pipe.zcard(line)
            return sum(await pipe.execute())

    async def waiting_head(self, queue_id: str, media: str, count: int) -> list[str]:
        """The first ``count`` conversations waiting in a queue for one media, in queue order."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for line in self._lines(queue_id, media):
                pipe.zrange(line, 0, count - 1, withscores=True)
            tiers = await pipe.execute()
        ordered = merge(*tiers, key=lambda pair: pair[1])
        return [conversation_id for conversation_id, _ in islice(ordered, count)]

    # ----- matching ---------------------------------------------------------------------------
    async def match(self, triggers: Iterable[str] = (EVERY_QUEUE,), limit: int = 100) -> list[Offer]:
        now = now_ms()
        deadline = now + self._offer_timeout_ms
        return self._offers(await self._scripts.run("match", [], [now, deadline, limit, *triggers]), deadline)

    @staticmethod
    def _offers(flat: list[str], deadline: int) -> list[Offer]:
        return [Offer(flat[i], flat[i + 1], deadline) for i in range(0, len(flat), 2)]

    async def promote(self, limit: int = MAX_PROMOTED) -> list[Moved]:
        """Overflow steps reached and requests for one agent that ran out, moved on."""
        flat = await self._scripts.run("promote", [], [now_ms(), limit])
        return [Moved(flat[i], flat[i + 1], int(flat[i + 2]), flat[i + 3], flat[i + 4]) for i in range(0, len(flat), 5)]

    async def accept(self, conversation_id: str, agent_id: str) -> bool:
        return bool(await self._scripts.run("accept", [], [conversation_id, agent_id, ACCEPTING_MS, now_ms()]))

    async def unrouted(self, conversation_ids: list[str]) -> list[str]:
        """Those of the given (queued, per the store) conversations that Redis has lost track of:
        neither waiting, nor offered, nor being accepted."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for conversation_id in conversation_ids:
                pipe.exists(keys.routed(conversation_id), keys.accepting(conversation_id))
            held = await pipe.execute()
        return [c for c, count in zip(conversation_ids, held, strict=True) if not count]

    async def withdraw(
        self, conversation_id: str, agent_id: str = "", *, requeue: bool = True, due_by_ms: int | None = None
    ) -> str | None:
        """Take back an offer; returns the agent it was withdrawn from, or None if there was none."""
        args = [conversation_id, agent_id, "1" if requeue else "0", now_ms(), "" if due_by_ms is None else due_by_ms]
        return await self._scripts.run("withdraw", [], args) or None

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

    async def dequeue(self, conversation_id: str) -> str | None:
        """The conversation no longer waits (resolved or abandoned): out of routing with any open offer.
        Returns the agent whose offer was taken back, if there was one."""
        return await self._scripts.run("drop", [], [conversation_id, now_ms()]) or None

    # ----- agents -----------------------------------------------------------------------------
    async def note_missed(self, agent_id: str) -> int:
        """An offer to the agent timed out: how many have, in a row (kept a day at most)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(keys.missed(agent_id))
            pipe.expire(keys.missed(agent_id), 24 * 3600)
            count, _ = await pipe.execute()
        return int(count)

    async def clear_missed(self, agent_id: str) -> None:
        await self._redis.delete(keys.missed(agent_id))

    async def release(self, agent_id: str, media: str) -> None:
        """The agent finished one conversation: one unit of that media's capacity is free again."""
        await self._scripts.run("release", [], [agent_id, media])

    async def set_state(self, agent_id: str, state: str, capacities: dict[str, int],
                        memberships: Iterable[tuple[str, int, int]] | None = None,
                        loads: dict[str, int] | None = None, match: bool = False, limit: int = 100) -> list[Offer]:
        """``memberships`` (queue, tier, proficiency) None keeps the agent's; ``loads`` None keeps theirs.
        ``match``: offer the agent what they may take, in the same step; returns those offers."""
        joined = "-" if memberships is None else ";".join(f"{q}|{t}:{p}" for q, t, p in memberships)
        now = now_ms()
        deadline = now + self._offer_timeout_ms
        args = [agent_id, state, now, _pairs(capacities), "" if loads is None else _pairs(loads), joined,
                deadline if match else "", limit]
        return self._offers(await self._scripts.run("set_state", [], args), deadline)

    async def start_wrap_up(self, agent_id: str, until_ms: int) -> None:
        await self._redis.zadd(keys.WRAP_UPS, {agent_id: until_ms})

    async def wrap_ups_over(self) -> list[str]:
        """Agents whose wrap-up time is up (each returned once)."""
        due = await self._redis.zrangebyscore(keys.WRAP_UPS, "-inf", now_ms())
        return [agent_id for agent_id in due if await self._redis.zrem(keys.WRAP_UPS, agent_id)]

    async def online(self) -> list[str]:
        """Agents whose state is anything but offline."""
        return sorted(await self._redis.smembers(keys.ONLINE))

    async def correct_load(self, agent_id: str, media: str, seen: int, load: int) -> bool:
        """Set the agent's load on one media to ``load`` if it is still ``seen``."""
        return bool(await self._scripts.run("correct_load", [], [agent_id, media, seen, load]))

    async def agent_load(self, agent_id: str) -> AgentLoad | None:
        raw = await self._redis.hgetall(keys.agent(agent_id))
        if not raw:
            return None
        return AgentLoad(agent_id, raw.get("state", "offline"), _counts(raw, "cap_"), _counts(raw, "load_"))

    async def last_agent(self, contact_id: str) -> str | None:
        return await self._redis.get(keys.last_agent(contact_id))

    async def remember_last_agent(self, contact_id: str, agent_id: str, window_s: int) -> None:
        """Sticky routing's memory (a hint: losing it only means no preference)."""
        await self._redis.set(keys.last_agent(contact_id), agent_id, ex=window_s)

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

    async def offered_media(self, conversation_ids: Iterable[str]) -> list[str]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for conversation_id in conversation_ids:
                pipe.hget(keys.routed(conversation_id), "m")
            return [media or "chat" for media in await pipe.execute()]

    # ----- rebuilding -------------------------------------------------------------------------
    async def is_built(self) -> bool:
        return bool(await self._redis.exists(keys.ROUTING_BUILT))

    async def rebuild(self, waiting: list[Routed], agents: list[tuple[AgentLoad, list[tuple[str, int, int]]]],
                      first: Callable[[], Awaitable[None]] | None = None) -> bool:
        """Restore queues and presence from the store's facts, once, when Redis has lost them; ``first`` runs
        before anything is restored (what other processes must find once agents show up online).

        Returns False when another process holds the rebuild lock or the state is already built.
        """
        if not await self._redis.set(keys.ROUTING_LOCK, "1", nx=True, px=30_000):
            return False
        try:
            if await self.is_built():
                return False
            if first is not None:
                await first()
            await self.configure(list(self.queues.values()))
            for routed in waiting:
                await self.enqueue(routed)
            for agent, memberships in agents:
                await self.set_state(agent.agent_id, agent.state, agent.capacities, memberships, agent.loads)
            await self._redis.set(keys.ROUTING_BUILT, str(now_ms()))
            return True
        finally:
            await self._redis.delete(keys.ROUTING_LOCK)
