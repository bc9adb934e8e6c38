"""Live queue figures, gathered from the store (the day's conversations) and Redis (agents' loads): the
statistics API and each waiting customer's estimated wait. Figures are cached for a few seconds, so a
busy queue does not rescan the day for every status frame."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from hub import keys
from hub.bus import EventBus
from hub.models import AgentState, UserRole, utcnow
from hub.routing import Router
from hub.routing.queues import memberships
from hub.routing.stats import QueueStats, agents_by_state, average_handle_s, estimated_wait_s, queue_stats
from hub.store import Store

CACHE_S = 5.0
HANDLE_WINDOW = timedelta(hours=1)  # the average handle time is of conversations resolved this recently
TAKERS = frozenset({UserRole.AGENT, UserRole.SUPERVISOR, UserRole.ADMIN})


class QueueStatsEvent(msgspec.Struct, tag="queue_stats", tag_field="type", kw_only=True):
    queues: list[QueueStats]


class Wallboard:
    def __init__(self, store: Store, router: Router, service_level_s: int = 20) -> None:
        self.store = store
        self.router = router
        self.service_level_s = service_level_s
        # (computed at, recent handle time s, free chat slots of ready agents per queue they take)
        self._handle: tuple[float, float | None, dict[str, int]] | None = None

    async def _free_slots(self) -> tuple[int, dict[str, tuple[int, int]]]:
        loads: dict[str, tuple[int, int]] = {}
        free = 0
        for agent_id in await self.router.online():
            load = await self.router.agent_load(agent_id)
            if load is None:
                continue
            loads[agent_id] = (load.loads["chat"], load.capacities["chat"])  # the figures count chats
            if load.state == AgentState.READY.value:
                free += max(0, load.capacities["chat"] - load.loads["chat"])
        return free, loads

    def forget(self) -> None:
        """Recompute the estimate's figures on the next call (the queues or agents' skills changed)."""
        self._handle = None

    async def estimated_wait_s(self, position: int, queue_id: str | None = None) -> float | None:
        """For the customer at ``position`` in ``queue_id``'s line: recent handle time over the free chat
        slots of the ready agents who take that queue."""
        now = time.monotonic()
        if self._handle is None or now - self._handle[0] > CACHE_S:
            recent = await self.store.conversations_since(utcnow() - HANDLE_WINDOW)
            self._handle = (now, average_handle_s(recent), await self._free_by_queue())
        by_queue = self._handle[2]
        free = by_queue.get(queue_id, 0) if queue_id in self.router.queues else by_queue.get("", 0)
        return estimated_wait_s(position, self._handle[1], free)

    async def _free_by_queue(self) -> dict[str, int]:
        """Free chat slots per queue ("" : of all ready agents)."""
        total, loads = await self._free_slots()
        free: dict[str, int] = {"": total}
        for user in await self.store.list_users():
            load = loads.get(user.id)
            if load is None or user.agent_state is not AgentState.READY:
                continue
            for queue_id, _, _ in memberships(user.skills, self.router.queues):
                free[queue_id] = free.get(queue_id, 0) + max(0, load[1] - load[0])
        return free

    async def push(self, redis: Any, bus: EventBus) -> bool:
        """Publish the figures to supervisors' sockets if they changed since any process last did (and only
        while a supervisor's socket is open somewhere: the day's scan is not free)."""
        if not await bus.listeners(keys.SUPERVISOR_EVENTS):
            return False
        data = msgspec.json.encode(QueueStatsEvent(queues=await self.stats())).decode()
        if await redis.set(keys.LAST_STATS, data, get=True, ex=3600) == data:
            return False
        await bus.publish_many([keys.SUPERVISOR_EVENTS], data)
        return True

    async def stats(self) -> list[QueueStats]:
        """One entry per queue: its conversations (by the queue they waited in) and its agents (those whose
        skills admit them, at any overflow step)."""
        now = utcnow()
        midnight = datetime(now.year, now.month, now.day, tzinfo=UTC)
        today = await self.store.conversations_since(min(midnight, now - HANDLE_WINDOW))
        _, loads = await self._free_slots()
        users = [u for u in await self.store.list_users() if u.role in TAKERS]
        queues = self.router.queues
        first = next(iter(queues), None)
        out = []
        for queue_id in queues:
            mine = [c for c in today if (c.queue_id or first) == queue_id]
            members = [u for u in users if any(q == queue_id for q, _, _ in memberships(u.skills, queues))]
            free = sum(max(0, loads[u.id][1] - loads[u.id][0]) for u in members
                       if u.id in loads and u.agent_state is AgentState.READY)
            counted = [c for c in mine if (c.queued_at or c.created_at) >= midnight]
            figures = queue_stats(queue_id, counted, now, agents_by_state(members, loads), free, self.service_level_s)
            figures.average_handle_s = average_handle_s(mine)
            figures.estimated_wait_s = estimated_wait_s(figures.waiting + 1, figures.average_handle_s, free)
            out.append(figures)
        return out
