"""Property-based: random arrivals, state changes, matches (two routers at once), accepts, declines and
resolutions through two Router instances sharing one real Redis, checked against a model after every step.

Invariants: a conversation is never offered or assigned to two agents; an agent's load never exceeds their
capacity and always equals what the model says they hold; each match offers the best-placed waiting
conversations (highest effective priority first); and at the end every waiting conversation is offered once
an agent has room.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from hub import keys
from hub.routing import Router
from hub.routing.queues import DEFAULT_QUEUE, VIP_WEIGHT, default_queues, queue_score
from hub.scripts import Scripts
from tests.routing.helpers import agent as set_agent
from tests.routing.helpers import chat
from tests.support.redis import RedisServer

AGENTS = ["a1", "a2", "a3"]

arrive = st.tuples(st.just("arrive"), st.integers(0, 2))  # VIP level
state = st.tuples(st.just("state"), st.sampled_from(AGENTS), st.sampled_from(["ready", "not_ready"]),
                  st.integers(1, 3))
match = st.tuples(st.just("match"), st.integers(0, 1))
both = st.tuples(st.just("both"))
accept = st.tuples(st.just("accept"), st.integers(0, 50), st.booleans())  # which offer; by the right agent?
decline = st.tuples(st.just("decline"), st.integers(0, 50))
resolve = st.tuples(st.just("resolve"), st.integers(0, 50))
operations = st.lists(st.one_of(arrive, arrive, state, match, both, accept, decline, resolve), max_size=40)


@dataclass
class Model:
    clock: int = 1_000_000
    count: int = 0
    waiting: dict[str, int] = field(default_factory=dict)  # conversation → queue score
    scores: dict[str, int] = field(default_factory=dict)  # every conversation's score at arrival
    offered: dict[str, str] = field(default_factory=dict)  # conversation → agent
    assigned: dict[str, str] = field(default_factory=dict)
    capacity: dict[str, int] = field(default_factory=dict)
    ever_assigned: set[str] = field(default_factory=set)

    def held_by(self, agent: str) -> int:
        return sum(1 for a in [*self.offered.values(), *self.assigned.values()] if a == agent)

    def best_waiting(self, count: int) -> set[str]:
        ordered = sorted(self.waiting, key=lambda c: (self.waiting[c], c))
        return set(ordered[:count])


async def _check_offers(model: Model, offers: list, routers: list[Router]) -> None:
    offered = [o.conversation_id for o in offers]
    assert len(offered) == len(set(offered)), "a conversation offered twice in one round"
    assert all(c in model.waiting for c in offered), "offered something that was not waiting"
    assert set(offered) == model.best_waiting(len(offered)), "not the highest priority first"
    for offer in offers:
        del model.waiting[offer.conversation_id]
        model.offered[offer.conversation_id] = offer.agent_id
    for agent in AGENTS:
        load = await routers[0].agent_load(agent)
        if load is not None:
            held = load.loads["chat"]
            assert held == model.held_by(agent), f"{agent}'s load drifted from what they hold"
            assert held <= max(load.capacities["chat"], model.capacity.get(agent, 0)), f"{agent} over capacity"


async def _arrive(model: Model, router: Router, routers: list[Router], op: tuple) -> None:
    model.count += 1
    conversation, score = f"c{model.count}", queue_score(model.clock, VIP_WEIGHT * op[1])
    await router.enqueue(chat(conversation, score))
    model.waiting[conversation] = model.scores[conversation] = score


async def _state(model: Model, router: Router, routers: list[Router], op: tuple) -> None:
    _, agent, new_state, capacity = op
    await set_agent(router, agent, new_state, capacity)
    model.capacity[agent] = capacity
    if new_state != "ready":  # as the pipeline does: open offers go back to the queue
        for conversation in [c for c, a in model.offered.items() if a == agent]:
            await _decline(model, router, conversation)


async def _match(model: Model, router: Router, routers: list[Router], op: tuple) -> None:
    await _check_offers(model, await routers[op[1]].match(), routers)


async def _both(model: Model, router: Router, routers: list[Router], op: tuple) -> None:
    """Two processes match at the same moment."""
    first, second = await asyncio.gather(routers[0].match(), routers[1].match())
    await _check_offers(model, [*first, *second], routers)


async def _accept(model: Model, router: Router, routers: list[Router], op: tuple) -> None:
    if not model.offered:
        return
    conversation = sorted(model.offered)[op[1] % len(model.offered)]
    agent = model.offered[conversation]
    by = agent if op[2] else next(a for a in AGENTS if a != agent)
    accepted = await router.accept(conversation, by)
    assert accepted == (by == agent), "accepted by an agent it was not offered to"
    if accepted:
        assert conversation not in model.ever_assigned, "assigned twice"
        model.ever_assigned.add(conversation)
        model.assigned[conversation] = model.offered.pop(conversation)


async def _decline_one(model: Model, router: Router, routers: list[Router], op: tuple) -> None:
    if model.offered:
        await _decline(model, router, sorted(model.offered)[op[1] % len(model.offered)])


async def _resolve(model: Model, router: Router, routers: list[Router], op: tuple) -> None:
    if model.assigned:
        conversation = sorted(model.assigned)[op[1] % len(model.assigned)]
        await router.release(model.assigned.pop(conversation), "chat")


STEPS = {"arrive": _arrive, "state": _state, "match": _match, "both": _both, "accept": _accept,
         "decline": _decline_one, "resolve": _resolve}


async def _step(model: Model, routers: list[Router], op: tuple) -> None:
    model.clock += 1000
    await STEPS[op[0]](model, routers[model.clock // 1000 % 2], routers, op)


async def _decline(model: Model, router: Router, conversation: str) -> None:
    agent = model.offered.pop(conversation)
    assert await router.withdraw(conversation, agent) == agent
    back = await router._redis.zscore(keys.waiting(DEFAULT_QUEUE, 0, "chat"), conversation)
    assert back is not None and int(back) == model.scores[conversation], "not back in its old place"
    model.waiting[conversation] = model.scores[conversation]


async def _scenario(url: str, ops: list[tuple]) -> None:
    clients = [Redis.from_url(url, decode_responses=True) for _ in range(2)]
    try:
        await clients[0].flushdb()
        routers = [Router(client, Scripts(client), offer_timeout_s=300) for client in clients]
        await routers[0].configure(default_queues())
        model = Model()
        for op in ops:
            await _step(model, routers, op)
        await set_agent(routers[0], "closer", "ready", 1000)  # room for everyone: all that wait get offered
        model.capacity["closer"] = 1000
        await _check_offers(model, await routers[1].match(limit=1000), routers)
        assert not model.waiting, "a waiting conversation was never offered"
    finally:
        for client in clients:
            await client.aclose()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_routing_invariants_hold_for_any_sequence(redis_server: RedisServer, ops: list[tuple]) -> None:
    asyncio.run(_scenario(redis_server.url, ops))
