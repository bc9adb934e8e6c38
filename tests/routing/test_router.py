"""Minimal routing on a real Redis: FIFO, longest idle, capacity, offers, rebuild."""

from __future__ import annotations

import asyncio
from collections import Counter

from redis.asyncio import Redis

from hub import keys
from hub.models import now_ms
from hub.routing import AgentLoad, Router
from hub.routing.queues import DEFAULT_QUEUE
from tests.routing.helpers import agent, chat


async def test_conversations_queued_in_the_same_millisecond_have_places_of_their_own(router: Router) -> None:
    for conversation_id in ("c-b", "c-a", "c-c", "c-d"):
        await router.enqueue(chat(conversation_id, 1000))
    await router.enqueue(chat("c-early", 1000, tier=1))  # an overflow tier: behind at an equal score
    await router.enqueue(chat("c-first", 999, tier=1))
    head = await router.waiting_head(DEFAULT_QUEUE, "chat", 10)
    assert [await router.position(c) for c in head] == [1, 2, 3, 4, 5, 6]  # the order they are told and offered in


async def test_the_place_of_one_whose_wait_for_an_agent_ran_out_counts_everyone_ahead(router: Router) -> None:
    for conversation_id, score in (("c-1", 100), ("c-2", 200), ("c-3", 300)):
        await router.enqueue(chat(conversation_id, score))
    await router.enqueue(chat("c-w", 400, wanted="agent-x", wanted_until_ms=now_ms() + 200))
    assert await router.position("c-w") == 1  # first in agent-x's line
    await asyncio.sleep(0.3)  # the wait for agent-x ran out; the sweep has not moved it to the queue's line yet
    assert await router.position("c-w") == 4
    await router.promote()
    assert await router.position("c-w") == 4


async def test_enqueue_is_idempotent_and_reports_the_position(router: Router) -> None:
    assert await router.enqueue(chat("c1", 100)) == 1
    assert await router.enqueue(chat("c2", 200)) == 2
    assert await router.enqueue(chat("c1", 999)) == 1
    assert await router.position("c2") == 2 and await router.position("nope") is None
    assert await router.waiting() == 2


async def test_oldest_conversation_goes_to_the_longest_idle_agent(router: Router) -> None:
    await agent(router, "busy-since-long", "ready", 1)
    await asyncio.sleep(0.01)
    await agent(router, "fresh", "ready", 1)
    await router.enqueue(chat("young", 200))
    await router.enqueue(chat("old", 100))
    offers = await router.match()
    assert [(o.conversation_id, o.agent_id) for o in offers] == [("old", "busy-since-long"), ("young", "fresh")]


async def test_nothing_is_offered_without_a_ready_agent(router: Router) -> None:
    await router.enqueue(chat("c1", 1))
    await agent(router, "a", "not_ready", 3)
    assert await router.match() == []
    assert await router.position("c1") == 1


async def test_capacity_limits_offers_and_release_frees_a_slot(router: Router) -> None:
    await agent(router, "a", "ready", 2)
    for n in range(4):
        await router.enqueue(chat(f"c{n}", n))
    assert [o.conversation_id for o in await router.match()] == ["c0", "c1"]
    assert await router.match() == []
    assert (await router.agent_load("a")).load == 2
    await router.release("a", "chat")
    assert [o.conversation_id for o in await router.match()] == ["c2"]


async def test_accept_only_by_the_offered_agent_and_only_once(router: Router) -> None:
    await agent(router, "a", "ready", 3)
    await router.enqueue(chat("c", 1))
    await router.match()
    assert not await router.accept("c", "b")
    assert await router.accept("c", "a")
    assert not await router.accept("c", "a")
    assert (await router.agent_load("a")).load == 1


async def test_declined_offer_returns_to_its_place_in_the_queue(router: Router) -> None:
    await agent(router, "a", "ready", 1)
    await router.enqueue(chat("first", 1))
    await router.enqueue(chat("second", 2))
    await router.match()
    assert await router.withdraw("first", "a") == "a"
    assert await router.position("first") == 1
    assert (await router.agent_load("a")).load == 0
    assert await router.withdraw("first", "a") is None


async def test_expired_offers_go_back_and_are_offered_again(make_router, redis: Redis) -> None:
    router = make_router(offer_timeout_s=0.05)
    await agent(router, "a", "ready", 1)
    await router.enqueue(chat("c", 1))
    assert len(await router.match()) == 1
    assert await router.expire_offers() == []
    await asyncio.sleep(0.08)
    assert await router.expire_offers() == [("c", "a")]
    assert not await router.accept("c", "a")
    assert [o.conversation_id for o in await router.match()] == ["c"]


async def test_dequeue_drops_a_waiting_or_offered_conversation(router: Router) -> None:
    await agent(router, "a", "ready", 1)
    await router.enqueue(chat("offered", 1))
    await router.enqueue(chat("waiting", 2))
    await router.match()
    await router.dequeue("offered")
    await router.dequeue("waiting")
    assert await router.waiting() == 0
    assert (await router.agent_load("a")).load == 0
    assert await router.offer_of("offered") is None


async def test_not_ready_agent_keeps_its_load_but_gets_no_offers(router: Router) -> None:
    await agent(router, "a", "ready", 2)
    await router.enqueue(chat("c1", 1))
    await router.match()
    await agent(router, "a", "not_ready", 2)
    await router.enqueue(chat("c2", 2))
    assert await router.match() == []
    await router.release("a", "chat")
    assert await router.match() == []
    await agent(router, "a", "ready", 2)
    assert [o.conversation_id for o in await router.match()] == ["c2"]


async def test_concurrent_routers_never_double_assign_or_exceed_capacity(make_router, redis: Redis) -> None:
    routers = [make_router() for _ in range(4)]
    capacities = {f"agent{n}": 1 + n % 3 for n in range(12)}  # 24 slots in all
    for agent_id, cap in capacities.items():
        await agent(routers[0], agent_id, "ready", cap)

    async def arrive(n: int) -> None:
        await routers[n % 4].enqueue(chat(f"conv{n}", n))
        await routers[(n + 1) % 4].match(limit=3)

    await asyncio.gather(*(arrive(n) for n in range(60)))
    for router in routers:
        await router.match()
    offers = {c: await routers[0].offer_of(c) for c in [f"conv{n}" for n in range(60)]}
    offered = {c: a for c, a in offers.items() if a}
    per_agent = Counter(offered.values())
    assert len(offered) == sum(capacities.values())
    assert all(per_agent[a] <= cap for a, cap in capacities.items())
    assert await routers[0].waiting() == 60 - len(offered)

    results = await asyncio.gather(*(r.accept(c, a) for c, a in offered.items() for r in routers))
    assert sum(results) == len(offered)  # each offer accepted exactly once across four racing routers
    for agent_id, cap in capacities.items():
        assert int(await redis.hget(keys.agent(agent_id), "load_chat")) == per_agent[agent_id] <= cap


async def test_racing_accept_and_expiry_have_one_winner(make_router, redis: Redis) -> None:
    router = make_router(offer_timeout_s=0.01)
    for n in range(30):
        await agent(router, f"a{n}", "ready", 1)
        await router.enqueue(chat(f"c{n}", n))
    offers = await router.match(limit=30)
    await asyncio.sleep(0.02)
    accepted = await asyncio.gather(*(router.accept(o.conversation_id, o.agent_id) for o in offers),
                                    router.expire_offers())
    expired = {c for c, _ in accepted[-1]}
    won = {o.conversation_id for o, ok in zip(offers, accepted[:-1], strict=True) if ok}
    assert won.isdisjoint(expired) and won | expired == {o.conversation_id for o in offers}
    assert await router.waiting() == len(expired)


async def test_rebuild_restores_queue_and_presence_once(router: Router, make_router) -> None:
    assert not await router.is_built()
    general = [(DEFAULT_QUEUE, 0, 0)]
    agents = [(AgentLoad("a", "ready", {"chat": 3}, {"chat": 2}), general),
              (AgentLoad("b", "not_ready", {"chat": 3}, {"chat": 0}), general)]
    built = await router.rebuild([chat("c2", 20), chat("c1", 10)], agents)
    assert built and await router.is_built()
    assert await router.position("c1") == 1 and await router.position("c2") == 2
    assert (await router.agent_load("a")).loads["chat"] == 2
    assert not await make_router().rebuild([chat("c3", 30)], [])
    offers = await router.match()
    assert [(o.conversation_id, o.agent_id) for o in offers] == [("c1", "a")]


async def test_unrouted_names_only_what_redis_has_lost(router: Router) -> None:
    await agent(router, "a", "ready", 2)
    for conversation_id in ("offered", "accepted", "waiting"):
        await router.enqueue(chat(conversation_id, 1))
    await router.match(limit=2)
    assert await router.accept("accepted", "a")
    assert await router.unrouted(["offered", "accepted", "waiting", "lost"]) == ["lost"]


async def test_a_load_is_corrected_only_if_nobody_changed_it_meanwhile(router: Router) -> None:
    await router.set_state("a", "ready", {"chat": 2}, [(DEFAULT_QUEUE, 0, 0)], loads={"chat": 2})
    assert await router.match() == []  # at capacity
    assert not await router.correct_load("a", "chat", seen=1, load=0)  # stale observation: refused
    assert await router.correct_load("a", "chat", seen=2, load=1)
    await router.enqueue(chat("c", 1))
    assert [o.agent_id for o in await router.match()] == ["a"]  # the freed slot is usable again
    assert (await router.agent_load("a")).load == 2
