"""The ACD on a real Redis: skills, overflow tiers, strategies, wanted agents, priority across queues, media."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from hub.models import Channel, now_ms
from hub.routing import Router
from hub.routing.queues import OverflowStep, QueueSpec, Strategy, memberships, queue_score
from hub.routing.router import Routed, agent_trigger, queue_trigger

BILLING = QueueSpec(id="billing", name="Billing", skills={"billing": 3},
                    overflow=[OverflowStep(after_s=60, min_proficiency=1),
                              OverflowStep(after_s=120, also_queues=["tech"])])
TECH = QueueSpec(id="tech", name="Tech", skills={"tech": 2})
VOICE = QueueSpec(id="voice", name="Hotline", channels=[Channel.VOICE], skills={})


async def configure(router: Router, *queues: QueueSpec) -> dict[str, QueueSpec]:
    await router.configure(list(queues))
    return router.queues


async def join(router: Router, agent_id: str, skills: dict[str, int], chats: int = 3, voice: int = 1,
               state: str = "ready") -> None:
    await router.set_state(agent_id, state, {"chat": chats, "voice": voice, "email": 0},
                           memberships(skills, router.queues))


def waiting(conversation_id: str, queue_id: str, waited_s: float = 0, priority: float = 0, media: str = "chat",
            tier: int = 0, wanted: str | None = None, wanted_for_s: float = 60) -> Routed:
    queued = now_ms() - int(waited_s * 1000)
    return Routed(conversation_id, queue_id, media, queue_score(queued, priority), queued, tier, wanted,
                  now_ms() + int(wanted_for_s * 1000) if wanted else None)


def pairs(offers) -> list[tuple[str, str]]:
    return [(o.conversation_id, o.agent_id) for o in offers]


@pytest.fixture
async def acd(router: Router) -> Router:
    await configure(router, BILLING, TECH, VOICE)
    return router


async def test_only_agents_with_the_required_skills_are_offered(acd: Router) -> None:
    await join(acd, "novice", {"billing": 1})
    await join(acd, "techie", {"tech": 5})
    await acd.enqueue(waiting("c1", "billing"))
    assert await acd.match() == []
    await join(acd, "expert", {"billing": 4})
    assert pairs(await acd.match()) == [("c1", "expert")]


async def test_overflow_lowers_the_proficiency_bar_after_its_time(acd: Router) -> None:
    await join(acd, "novice", {"billing": 1})
    await acd.enqueue(waiting("fresh", "billing", waited_s=10))
    await acd.enqueue(waiting("long", "billing", waited_s=61))
    assert await acd.match() == []  # nobody has waited past a step yet, as far as Redis knows
    moved = await acd.promote()
    assert [(m.conversation_id, m.tier) for m in moved] == [("long", 1)]
    assert pairs(await acd.match()) == [("long", "novice")]  # the fresh one still waits for the skilled


async def test_overflow_to_another_queues_agents(acd: Router) -> None:
    await join(acd, "techie", {"tech": 2})
    await acd.enqueue(waiting("c", "billing", waited_s=125))
    moved = await acd.promote()
    assert [m.tier for m in moved if m.conversation_id == "c"] == [1, 2]  # through both steps at once
    assert pairs(await acd.match()) == [("c", "techie")]


async def test_a_conversation_enqueued_late_starts_at_its_tier(acd: Router) -> None:
    """After a restart the store says how long it waited: it goes straight to that tier."""
    await join(acd, "novice", {"billing": 1})
    await acd.enqueue(waiting("old", "billing", waited_s=90, tier=1))
    assert pairs(await acd.match()) == [("old", "novice")]


async def test_fully_skilled_agents_come_before_overflow_agents(acd: Router) -> None:
    await join(acd, "novice", {"billing": 1})
    await acd.enqueue(waiting("c", "billing", waited_s=61, tier=1))
    await join(acd, "expert", {"billing": 5}, state="not_ready")
    await asyncio.sleep(0.002)
    await join(acd, "expert", {"billing": 5})  # ready after the novice: the novice has idled longer
    assert pairs(await acd.match()) == [("c", "expert")]


async def test_an_agent_gets_the_highest_effective_priority_across_their_queues(acd: Router) -> None:
    await acd.enqueue(waiting("tech-old", "tech", waited_s=300))
    await acd.enqueue(waiting("billing-vip", "billing", waited_s=5, priority=50))
    await acd.enqueue(waiting("billing-new", "billing", waited_s=1))
    await join(acd, "both", {"billing": 3, "tech": 3}, chats=1)
    assert pairs(await acd.match([agent_trigger("both")])) == [("billing-vip", "both")]  # 50 points > 5 minutes


async def test_voice_and_chat_capacity_are_separate(acd: Router) -> None:
    await configure(acd, QueueSpec(id="all", name="All"))
    await join(acd, "a", {}, chats=2, voice=1)
    for n in range(3):
        await acd.enqueue(waiting(f"chat{n}", "all", waited_s=10 - n))
        await acd.enqueue(waiting(f"call{n}", "all", waited_s=10 - n, media="voice"))
    offered = pairs(await acd.match())
    assert sorted(c for c, _ in offered) == ["call0", "chat0", "chat1"]
    load = await acd.agent_load("a")
    assert load is not None and load.loads == {"chat": 2, "voice": 1, "email": 0}


async def test_a_call_needs_free_voice_capacity(acd: Router) -> None:
    await join(acd, "a", {}, chats=3, voice=0)
    await acd.enqueue(waiting("call", "voice", media="voice"))
    assert await acd.match([queue_trigger("voice", "voice")]) == []
    await join(acd, "a", {}, chats=3, voice=1)
    assert pairs(await acd.match([agent_trigger("a")])) == [("call", "a")]


async def test_a_wanted_agent_is_waited_for_then_anyone_takes_it(acd: Router) -> None:
    await join(acd, "other", {"tech": 3})
    await acd.enqueue(waiting("c", "tech", wanted="wanted", wanted_for_s=0.05))
    assert await acd.match() == []  # "other" is free, but the customer waits for "wanted" first
    assert await acd.position("c") == 1
    await asyncio.sleep(0.06)
    moved = await acd.promote()
    assert [m.conversation_id for m in moved] == ["c"]
    assert pairs(await acd.match()) == [("c", "other")]


async def test_the_wanted_agent_gets_it_even_without_the_skills(acd: Router) -> None:
    await join(acd, "wanted", {})
    await acd.enqueue(waiting("c", "billing", wanted="wanted"))
    assert pairs(await acd.match([agent_trigger("wanted")])) == [("c", "wanted")]


async def test_a_declined_wanted_offer_waits_for_that_agent_again(acd: Router) -> None:
    await join(acd, "wanted", {})
    await acd.enqueue(waiting("c", "tech", wanted="wanted"))
    assert pairs(await acd.match([agent_trigger("wanted")])) == [("c", "wanted")]
    assert await acd.withdraw("c", "wanted") == "wanted"
    await join(acd, "wanted", {}, state="not_ready")
    await join(acd, "other", {"tech": 3})
    assert await acd.match() == []


# ----- strategies ---------------------------------------------------------------------------------
async def strategy_queue(router: Router, strategy: Strategy) -> None:
    await configure(router, QueueSpec(id="s", name="S", skills={"x": 1}, strategy=strategy))


async def test_longest_idle_first(router: Router) -> None:
    await strategy_queue(router, Strategy.LONGEST_IDLE)
    for agent_id in ("first-ready", "second-ready"):
        await join(router, agent_id, {"x": 1})
        await asyncio.sleep(0.002)
    await router.enqueue(waiting("c1", "s"))
    assert pairs(await router.match()) == [("c1", "first-ready")]
    await router.enqueue(waiting("c2", "s"))
    assert pairs(await router.match()) == [("c2", "second-ready")]  # the first was just offered one


async def test_least_occupied_first(router: Router) -> None:
    await strategy_queue(router, Strategy.LEAST_OCCUPIED)
    await join(router, "half-busy", {"x": 1}, chats=2)
    await router.set_state("half-busy", "ready", {"chat": 2}, loads={"chat": 1})
    await asyncio.sleep(0.002)
    await join(router, "idle-big", {"x": 1}, chats=4)
    await router.enqueue(waiting("c1", "s"))
    assert pairs(await router.match()) == [("c1", "idle-big")]  # 0/5 before 1/3, though it idled less


async def test_fewest_handled_today_first(router: Router) -> None:
    await strategy_queue(router, Strategy.FEWEST_HANDLED)
    await join(router, "worked", {"x": 1})
    await join(router, "fresh", {"x": 1})
    await router.enqueue(waiting("c0", "s"))
    assert pairs(await router.match([agent_trigger("worked")])) == [("c0", "worked")]
    assert await router.accept("c0", "worked")
    await router.release("worked", "chat")
    await router.enqueue(waiting("c1", "s"))
    assert pairs(await router.match()) == [("c1", "fresh")]


async def test_round_robin_takes_turns(router: Router) -> None:
    await strategy_queue(router, Strategy.ROUND_ROBIN)
    for agent_id in ("a", "b", "c"):
        await join(router, agent_id, {"x": 1}, chats=10)
    got = []
    for n in range(6):
        await router.enqueue(waiting(f"c{n}", "s"))
        got += [agent for _, agent in pairs(await router.match())]
    assert got == ["a", "b", "c", "a", "b", "c"]  # though each still has room for more


async def test_highest_proficiency_first(router: Router) -> None:
    await strategy_queue(router, Strategy.HIGHEST_PROFICIENCY)
    await join(router, "good", {"x": 3}, chats=1)
    await join(router, "best", {"x": 5}, chats=1)
    await join(router, "ok", {"x": 1}, chats=1)
    for n in range(3):
        await router.enqueue(waiting(f"c{n}", "s", waited_s=10 - n))
    assert pairs(await router.match()) == [("c0", "best"), ("c1", "good"), ("c2", "ok")]


async def test_queue_set_changes_drop_removed_queues(router: Router, redis: Redis) -> None:
    await configure(router, BILLING, TECH)
    await configure(router, TECH)
    assert await redis.smembers("hub:queues") == {"tech"}
    assert await redis.hkeys("hub:qconf") == ["tech"]


async def test_longest_idle_is_kept_per_media(router: Router) -> None:
    """A chat offer does not make an agent the least idle for calls."""
    await configure(router, QueueSpec(id="all", name="All"))
    await join(router, "first", {}, chats=3, voice=1)
    await asyncio.sleep(0.002)
    await join(router, "second", {}, chats=3, voice=1)
    await asyncio.sleep(0.005)  # the chat offer comes later than both became ready (ms clock)
    await router.enqueue(waiting("chat", "all"))
    assert pairs(await router.match()) == [("chat", "first")]
    await router.enqueue(waiting("call", "all", media="voice"))
    assert pairs(await router.match()) == [("call", "first")]  # for calls, first has still waited longest
    await router.enqueue(waiting("chat2", "all"))
    assert pairs(await router.match()) == [("chat2", "second")]  # for chats, first was just offered one
