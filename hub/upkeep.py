"""The periodic duties of every hub process: keep Redis's routing state true to the store.

Rebuild what Redis lost, keep agents' presence, expire offers, re-queue conversations a dying process
left behind, and correct agents' loads that drifted. Any number of processes may run them at once:
each step is atomic in Redis or idempotent.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from hub.envelopes import OfferWithdrawnEvent
from hub.models import CHAT_ROLES, AgentState, ConversationState, ms, utcnow
from hub.pipeline import Pipeline
from hub.routing import AgentLoad
from hub.routing.queues import MEDIA

S = ConversationState
MISSED = "missed"
log = logging.getLogger(__name__)


class Upkeep:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._load_mismatch: dict[str, tuple[int, int]] = {}

    async def sweep(self) -> None:
        """Periodic duties of every process: rebuild lost routing state, keep presence, expire offers,
        route."""
        if not await self.pipeline.router.is_built():
            await self.rebuild_routing()
        await self.pipeline.presence.refresh()
        for agent_id in await self.pipeline.presence.absent(await self.pipeline.router.online()):
            log.info("presence: agent %s has no console open; now offline", agent_id)
            await self.pipeline.set_agent_state(await self.pipeline.store.get_user(agent_id), AgentState.OFFLINE)
        expired = await self.pipeline.router.expire_offers()
        for conversation_id, agent_id in expired:
            await self.pipeline.publish(OfferWithdrawnEvent(conversation_id=conversation_id, reason="timeout"),
                                None, agent_id)
            await self._count_missed(agent_id)
        await self.end_wrap_ups()
        moved = await self.pipeline.router.promote()
        if moved:
            log.info("routing: %d conversations reached an overflow step or fell back to their queue", len(moved))
        for one in moved:
            await self.pipeline.acd.overflowed(one)
        if not await self.pipeline.route() and expired:
            await self.pipeline.announce_queue()

    async def end_wrap_ups(self) -> None:
        """Agents whose wrap-up time is up are ready again (unless they changed their state meanwhile)."""
        for agent_id in await self.pipeline.router.wrap_ups_over():
            user = await self.pipeline.store.get_user(agent_id)
            if user.agent_state is AgentState.WRAP_UP:
                await self.pipeline.set_agent_state(user, AgentState.READY)

    async def _count_missed(self, agent_id: str) -> None:
        """K offers in a row let time out: the agent is evidently away, so not ready ("missed")."""
        if await self.pipeline.router.note_missed(agent_id) >= self.pipeline.settings.missed_offers_limit:
            log.info("agent %s missed %d offers in a row; now not ready", agent_id,
                     self.pipeline.settings.missed_offers_limit)
            await self.pipeline.set_agent_state(await self.pipeline.store.get_user(agent_id), AgentState.NOT_READY,
                                                MISSED)
            await self.pipeline.router.clear_missed(agent_id)

    async def reconcile(self, settle_s: float = 10.0) -> list[str]:
        """Put back in the queue any conversation the store says is waiting but Redis has lost (a
        process died between two steps). Conversations changed in the last ``settle_s`` are left
        alone: their own process is still routing them."""
        settled = utcnow() - timedelta(seconds=settle_s)
        queued = [c for c in await self.pipeline.store.conversations_in_state(S.QUEUED) if c.updated_at < settled]
        lost = set(await self.pipeline.router.unrouted([c.id for c in queued]))
        for conversation_id in sorted(lost):
            current = await self.pipeline.store.get_conversation(conversation_id)  # it may have moved on meanwhile
            if current.state is S.QUEUED:
                log.warning("reconcile: conversation %s was queued but not routed; re-queued", current.id)
                await self.pipeline.router.enqueue(self.pipeline.acd.routed(current))
        if lost and not await self.pipeline.route():
            await self.pipeline.announce_queue()
        await self._reconcile_loads()
        return sorted(lost)

    async def _reconcile_loads(self) -> None:
        """Correct an agent's load in Redis when it disagrees with the store (assigned conversations
        plus open offers) the same way on two passes in a row: a process died between its Redis step
        and its store step. A passing disagreement (work in flight) changes between passes and is
        left alone; the correction itself is a compare-and-set on the load it saw."""
        seen, self._load_mismatch = self._load_mismatch, {}
        router = self.pipeline.router
        for agent_id in await router.online():
            current = await router.agent_load(agent_id)
            if current is None:
                continue
            expected = await self._loads_of(agent_id)
            for media in current.loads:
                observed = (current.loads[media], expected[media])
                if observed[0] == observed[1]:
                    continue
                key = f"{agent_id}:{media}"
                if seen.get(key) == observed and await router.correct_load(agent_id, media, *observed):
                    log.warning("reconcile: agent %s %s load %s corrected to %s", agent_id, media, *observed)
                else:
                    self._load_mismatch[key] = observed

    async def _loads_of(self, agent_id: str) -> Counter[str]:
        """What the store and the open offers say the agent's load is, per media."""
        assigned = await self.pipeline.store.conversations_of_agent(agent_id, [S.ASSIGNED])
        offered = await self.pipeline.router.offered_media(o.conversation_id
                                                            for o in await self.pipeline.router.offers_of(agent_id))
        return Counter([MEDIA[c.channel] for c in assigned] + offered)

    async def rebuild_routing(self) -> bool:
        """Queues, agents' states and loads from the store, once, when Redis has lost them. Agents who were
        present get one presence TTL for their consoles to come back, and wrap-ups end when they were due;
        both before any agent shows up online, when another process's sweep may look."""
        p = self.pipeline
        acd = p.acd
        waiting = [acd.routed(c) for c in await p.store.conversations_in_state(S.QUEUED)]
        agents, wrap_ups = [], {}
        for user in await p.store.list_users():
            if user.role in CHAT_ROLES and user.agent_state is not AgentState.OFFLINE:
                assigned = await p.store.conversations_of_agent(user.id, [S.ASSIGNED])
                loads = Counter(MEDIA[c.channel] for c in assigned)
                agents.append((AgentLoad(user.id, user.agent_state.value, acd.capacities(user),
                                         {m: loads[m] for m in ("chat", "voice", "email")}), acd.memberships(user)))
                if user.agent_state is AgentState.WRAP_UP:
                    wrap_ups[user.id] = (user.state_changed_at or utcnow()) + timedelta(seconds=p.settings.wrap_up_s)

        async def first() -> None:
            await p.presence.grace([agent.agent_id for agent, _ in agents])
            for agent_id, ends in wrap_ups.items():
                await p.router.start_wrap_up(agent_id, ms(ends))

        return await p.router.rebuild(waiting, agents, first)

