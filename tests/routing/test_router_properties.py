"""Property-based: random arrivals, state changes, matches (two routers at once), accepts, declines and
resolutions through two Router instances sharing one real Redis, checked against a model after every step.
Two queues need different skills; agents have one, the other, or both.

Invariants: a conversation is never offered or assigned to two agents; an agent's load never exceeds their
capacity and always equals what the model says they hold; every offer goes to an agent with the queue's
skills and is, among the waiting conversations that agent may take, the one with the highest effective
priority (VIP level against waiting time); and at the end every waiting conversation is offered once an
agent has room.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from hub import keys
from hub.routing import Router
from hub.routing.queues import VIP_WEIGHT, QueueSpec, memberships, queue_score
from hub.routing.router import EVERY_QUEUE, agent_trigger, queue_trigger, release_trigger
from hub.scripts import Scripts
from tests.routing.helpers import agent as set_agent
from tests.routing.helpers import chat
from tests.support.redis import RedisServer

AGENTS = ["a1", "a2", "a3"]
QUEUES = [QueueSpec(id="sales", name="Sales", skills={"sales": 1}),
          QueueSpec(id="tech", name="Tech", skills={"tech": 2})]
SKILLS = {"a1": {"sales": 3}, "a2": {"tech": 2}, "a3": {"sales": 1, "tech": 5}, "closer": {"sales": 1, "tech": 2}}

# VIP level, queue, matched in the same step?
arrive = st.tuples(st.just("arrive"), st.integers(0, 2), st.sampled_from(["sales", "tech"]), st.booleans())
# agent, state, capacity, matched in the same step?
state = st.tuples(st.just("state"), st.sampled_from(AGENTS), st.sampled_from(["ready", "not_ready"]),
                  st.integers(1, 3), st.booleans())
# what a match is told changed: everything, one agent freed, or an arrival in one queue
match = st.tuples(st.just("match"), st.integers(0, 1), st.sampled_from(["*", *AGENTS, "sales", "tech"]))
both = st.tuples(st.just("both"))
accept = st.tuples(st.just("accept"), st.integers(0, 50), st.booleans())  # which offer; by the right agent?
decline = st.tuples(st.just("decline"), st.integers(0, 50))
resolve = st.tuples(st.just("resolve"), st.integers(0, 50), st.booleans())  # release and match at once?
operations = st.lists(st.one_of(arrive, arrive, state, state, match, match, both, accept, decline, resolve),
                      max_size=40)


@dataclass
class Model:
    clock: int = 1_000_000
    count: int = 0
    waiting: dict[str, int] = field(default_factory=dict)  # conversation → queue score
    scores: dict[str, int] = field(default_factory=dict)  # every conversation's score at arrival
    queue: dict[str, str] = field(default_factory=dict)  # every conversation's queue
    offered: dict[str, str] = field(default_factory=dict)  # conversation → agent
    assigned: dict[str, str] = field(default_factory=dict)
    capacity: dict[str, int] = field(default_factory=dict)
    ever_assigned: set[str] = field(default_factory=set)

    def held_by(self, agent: str) -> int:
        return sum(1 for a in [*self.offered.values(), *self.assigned.values()] if a == agent)

    def may_take(self, agent: str, conversation: str) -> bool:
        return any(queue == self.queue[conversation] for queue, _, _ in memberships(SKILLS[agent], QUEUE_SET))

    def best_for(self, agent: str) -> str | None:
        """The waiting conversation with the highest effective priority the agent may take (all queues age alike,
        so the lowest virtual-arrival score)."""
        eligible = [c for c in self.waiting if self.may_take(agent, c)]
        return min(eligible, key=lambda c: self.waiting[c], default=None)

    def take(self, offers: list) -> str | None:
        """Apply one match's offers in the order they were made; what was wrong with them, if anything."""
        for offer in offers:
            if offer.conversation_id not in self.waiting:
                return "offered something that was not waiting"
            if not self.may_take(offer.agent_id, offer.conversation_id):
                return "offered to an agent without the queue's skills"
            if offer.conversation_id != self.best_for(offer.agent_id):
                return "not the highest effective priority the agent may take"
            del self.waiting[offer.conversation_id]
            self.offered[offer.conversation_id] = offer.agent_id
        return None


QUEUE_SET = {queue.id: queue for queue in QUEUES}


async def _check_offers(model: Model, offers: list, routers: list[Router], other: list | None = None) -> None:
    """``other``: a second match that ran at the same moment (one of the two ran first, whole)."""
    offered = [o.conversation_id for o in [*offers, *(other or [])]]
    assert len(offered) == len(set(offered)), "a conversation offered twice"
    orders = [[offers, other], [other, offers]] if other is not None else [[offers]]
    outcomes = []
    for order in orders:
        trial = copy.deepcopy(model)
        problem = next((p for batch in order if (p := trial.take(batch)) is not None), None)
        outcomes.append((problem, trial))
    problem, trial = next(((p, t) for p, t in outcomes if p is None), outcomes[0])
    assert problem is None, problem
    model.waiting, model.offered = trial.waiting, trial.offered
    receivers = {o.agent_id for o in [*offers, *(other or [])]}
    for agent in AGENTS:
        load = await routers[0].agent_load(agent)
        if load is not None:
            held = load.loads["chat"]
            assert held == model.held_by(agent), f"{agent}'s load drifted from what they hold"
            # an agent whose capacity was lowered below what they hold keeps it, but gets nothing more
            assert agent not in receivers or held <= model.capacity[agent], f"{agent} offered beyond capacity"


async def _arrive(model: Model, router: Router, routers: list[Router], op: tuple) -> None:
    model.count += 1
    conversation, score = f"c{model.count}", queue_score(model.clock, VIP_WEIGHT * op[1])
    routed = chat(conversation, score, queue_id=op[2])
    model.waiting[conversation] = model.scores[conversation] = score
    model.queue[conversation] = op[2]
    if op[3]:
        _, offers = await router.enqueue_and_match(routed, [queue_trigger(op[2], "chat")])
        await _check_offers(model, offers, routers)
    else:
        await router.enqueue(routed)


async def _state(model: Model, router: Router, routers: list[Router], op: tuple) -> None:
    _, agent, new_state, capacity, at_once = op
    offers = await set_agent(router, agent, new_state, capacity, memberships(SKILLS[agent], QUEUE_SET),
                             match=at_once)
    model.capacity[agent] = capacity
    await _check_offers(model, offers, routers)
    if new_state != "ready":  # as the pipeline does: open offers go back to the queue
        for conversation in [c for c, a in model.offered.items() if a == agent]:
            await _decline(model, router, conversation)


async def _match(model: Model, router: Router, routers: list[Router], op: tuple) -> None:
    what = op[2]
    trigger = EVERY_QUEUE if what == "*" else agent_trigger(what) if what in AGENTS else queue_trigger(what, "chat")
    await _check_offers(model, await routers[op[1]].match([trigger]), routers)


async def _both(model: Model, router: Router, routers: list[Router], op: tuple) -> None:
    """Two processes match at the same moment."""
    first, second = await asyncio.gather(routers[0].match(), routers[1].match())
    await _check_offers(model, first, routers, second)


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
        agent = model.assigned.pop(conversation)
        if op[2]:
            await _check_offers(model, await router.match([release_trigger(agent, "chat")]), routers)
        else:
            await router.release(agent, "chat")


STEPS = {"arrive": _arrive, "state": _state, "match": _match, "both": _both, "accept": _accept,
         "decline": _decline_one, "resolve": _resolve}


async def _step(model: Model, routers: list[Router], op: tuple) -> None:
    model.clock += 1000
    await STEPS[op[0]](model, routers[model.clock // 1000 % 2], routers, op)


async def _decline(model: Model, router: Router, conversation: str) -> None:
    agent = model.offered.pop(conversation)
    assert await router.withdraw(conversation, agent) == agent
    back = await router._redis.zscore(keys.waiting(model.queue[conversation], 0, "chat"), conversation)
    assert back is not None and int(back) == model.scores[conversation], "not back in its old place"
    model.waiting[conversation] = model.scores[conversation]


async def _scenario(url: str, ops: list[tuple]) -> None:
    clients = [Redis.from_url(url, decode_responses=True) for _ in range(2)]
    try:
        await clients[0].flushdb()
        routers = [Router(client, Scripts(client), offer_timeout_s=300) for client in clients]
        await routers[0].configure(QUEUES)
        routers[1].use(QUEUES)
        model = Model()
        for op in ops:
            await _step(model, routers, op)
        # room for everyone: all that wait get offered
        await set_agent(routers[0], "closer", "ready", 1000, memberships(SKILLS["closer"], QUEUE_SET))
        model.capacity["closer"] = 1000
        await _check_offers(model, await routers[1].match(limit=1000), routers)
        assert not model.waiting, "a waiting conversation was never offered"
    finally:
        for client in clients:
            await client.aclose()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
@example(ops=[("arrive", 0, "sales", False), ("arrive", 0, "sales", False), ("state", "a1", "ready", 1, False),
              ("match", 0, "*"), ("match", 1, "a1")])  # a freed-agent match for an agent already full
@example(ops=[("arrive", 0, "tech", False), ("arrive", 2, "sales", False), ("state", "a3", "ready", 1, False),
              ("match", 0, "a3"), ("accept", 0, True), ("resolve", 0, True)])  # release and match in one step
@example(ops=[("arrive", 0, "tech", False), ("arrive", 2, "tech", False), ("state", "a3", "ready", 2, True),
              ("arrive", 1, "sales", True), ("state", "a2", "ready", 1, True)])  # matched as they happen
def test_routing_invariants_hold_for_any_sequence(redis_server: RedisServer, ops: list[tuple]) -> None:
    asyncio.run(_scenario(redis_server.url, ops))
