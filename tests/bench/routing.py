"""``make bench`` (ACD part): assignments per second and the time from an event to its offer, at scale.

100 queues (each needs one of 30 skills at level 1-3; every third has an overflow step to a lower level),
10,000 agents with 3 skills each at random levels, 50,000 conversations waiting across the queues. Then:
- freed: agents become ready one after another (each then takes up to 3 chats: the state change and the
  match are one script, as in the hub), and agents finish a chat (one script frees the slot and matches
  them) — an agent freed with conversations waiting;
- arrivals: conversations arrive in 10 more queues whose agents are free — a conversation arriving to a
  free agent (queued and matched in one script).
Each event is timed from the client's call to the returned offers, with 8 concurrent clients (as hub
processes would). ``redis_evalsha_ops_per_s`` is the same clients running a trivial script: this
machine's ceiling for one Redis. Results are merged into ``var/bench.json``.
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
import time
from pathlib import Path

from redis.asyncio import Redis

from hub.models import now_ms
from hub.redis_server import EmbeddedRedis
from hub.routing import Router
from hub.routing.queues import OverflowStep, QueueSpec, memberships, queue_score
from hub.routing.router import Routed, queue_trigger, release_trigger
from hub.scripts import Scripts
from tests.bench.output import merge, run_async

QUEUES, SKILLS, AGENTS, WAITING, FRESH_QUEUES, FRESH_AGENTS = 100, 30, 10_000, 50_000, 10, 1_000
CLIENTS, ARRIVALS, RELEASES = 8, 5_000, 10_000


def _queues(rng: random.Random) -> list[QueueSpec]:
    queues = []
    for n in range(QUEUES):
        overflow = [OverflowStep(after_s=60, min_proficiency=1)] if n % 3 == 0 else []
        queues.append(QueueSpec(id=f"q{n}", name=f"Queue {n}", skills={f"s{n % SKILLS}": rng.randint(1, 3)},
                                overflow=overflow))
    for n in range(FRESH_QUEUES):
        queues.append(QueueSpec(id=f"fresh{n}", name=f"Fresh {n}", skills={f"fresh{n}": 1}))
    return queues


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _in_parallel(items: list, work, clients: int = CLIENTS) -> tuple[float, list[float], int]:
    """Run ``work(router_index, item)`` over the items with ``clients`` concurrent workers; returns the wall
    time, each call's latency in ms, and the sum of what the calls returned."""
    latencies: list[float] = []
    total = 0
    queue = list(reversed(items))

    async def worker(index: int) -> None:
        nonlocal total
        while queue:
            item = queue.pop()
            started = time.perf_counter()
            done = await work(index, item)  # (not ``total += await …``: that reads total before awaiting)
            latencies.append((time.perf_counter() - started) * 1000)
            total += done

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(clients)))
    return time.perf_counter() - started, latencies, total


async def _fill(routers: list[Router], rng: random.Random) -> dict[str, dict[str, int]]:
    """The queues, the waiting conversations, and the agents (not ready yet); returns the agents' skills."""
    queues = _queues(rng)
    await routers[0].configure(queues)
    for router in routers[1:]:
        router.use(queues)
    by_id = routers[0].queues
    now = now_ms()
    print(f"  enqueueing {WAITING} conversations in {QUEUES} queues …", flush=True)
    for start in range(0, WAITING, 100):
        batch = []
        for n in range(start, start + 100):
            queued = now - rng.randint(0, 50_000)
            batch.append(routers[0].enqueue(Routed(f"c{n}", f"q{n % QUEUES}", "chat",
                                                   queue_score(queued, rng.choice([0, 0, 0, 10])), queued)))
        await asyncio.gather(*batch)
    skills_of = {f"a{n}": {f"s{k}": rng.randint(1, 3) for k in rng.sample(range(SKILLS), 3)} for n in range(AGENTS)}
    print(f"  {AGENTS} agents, not ready yet …", flush=True)
    for start in range(0, AGENTS, 100):
        await asyncio.gather(*(routers[0].set_state(a, "not_ready", {"chat": 3, "voice": 1, "email": 0},
                                                    memberships(skills_of[a], by_id))
                               for a in list(skills_of)[start:start + 100]))
    return skills_of


async def bench(url: str) -> dict:
    rng = random.Random(7)
    clients = [Redis.from_url(url, decode_responses=True) for _ in range(CLIENTS)]
    routers = [Router(c, Scripts(c), offer_timeout_s=3600) for c in clients]
    skills_of = await _fill(routers, rng)
    by_id = routers[0].queues

    async def ready(index: int, agent_id: str) -> int:  # as the hub does it: state and match in one step
        return len(await routers[index].set_state(agent_id, "ready", {"chat": 3, "voice": 1, "email": 0}, match=True))

    print("  agents becoming ready …", flush=True)
    ready_s, ready_ms, ready_offers = await _in_parallel(list(skills_of), ready)

    held = list(skills_of)
    rng.shuffle(held)

    async def release(index: int, agent_id: str) -> int:
        return len(await routers[index].match([release_trigger(agent_id, "chat")]))

    print("  agents releasing a chat …", flush=True)
    release_s, release_ms, release_offers = await _in_parallel(held[:RELEASES], release)

    fresh = {f"f{n}": {f"fresh{n % FRESH_QUEUES}": 1} for n in range(FRESH_AGENTS)}
    for a, skills in fresh.items():
        await routers[0].set_state(a, "ready", {"chat": 10, "voice": 1, "email": 0}, memberships(skills, by_id))

    async def arrive(index: int, n: int) -> int:
        router = routers[index]
        queued = now_ms()
        routed = Routed(f"new{n}", f"fresh{n % FRESH_QUEUES}", "chat", queue_score(queued, 0), queued)
        _, offers = await router.enqueue_and_match(routed, [queue_trigger(routed.queue_id, "chat")])
        return len(offers)

    print("  conversations arriving to free agents …", flush=True)
    arrive_s, arrive_ms, arrive_offers = await _in_parallel(list(range(ARRIVALS)), arrive)

    trivial = [client.register_script("return 1") for client in clients]

    async def evalsha(index: int, _: int) -> int:
        return int(await trivial[index]())

    evalsha_s, _, evalsha_n = await _in_parallel(list(range(50_000)), evalsha)
    for client in clients:
        await client.aclose()

    assignments = ready_offers + release_offers + arrive_offers
    seconds = ready_s + release_s + arrive_s
    latencies = ready_ms + release_ms + arrive_ms
    per_s = assignments / seconds
    ceiling = evalsha_n / evalsha_s
    return {
        "routing_assignments_per_s": round(per_s),
        "routing_p99_ms": round(percentile(latencies, 0.99), 3),
        "routing_p50_ms": round(percentile(latencies, 0.50), 3),
        "redis_evalsha_ops_per_s": round(ceiling),
        "routing_ratio_to_evalsha_ceiling": round(per_s / ceiling, 3),
        "routing_setup": {"queues": QUEUES + FRESH_QUEUES, "agents": AGENTS + FRESH_AGENTS, "waiting": WAITING,
                          "clients": CLIENTS, "skills": SKILLS},
        "routing_phases": {
            "agent_ready": {"events": len(ready_ms), "offers": ready_offers, "seconds": round(ready_s, 2),
                            "p99_ms": round(percentile(ready_ms, 0.99), 3)},
            "agent_released": {"events": len(release_ms), "offers": release_offers, "seconds": round(release_s, 2),
                               "p99_ms": round(percentile(release_ms, 0.99), 3)},
            "arrival": {"events": len(arrive_ms), "offers": arrive_offers, "seconds": round(arrive_s, 2),
                        "p99_ms": round(percentile(arrive_ms, 0.99), 3)},
        },
    }


async def main(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="hub-bench-routing-") as tmp:
        server = EmbeddedRedis(Path(tmp))
        server.start()
        try:
            figures = await bench(server.url)
        finally:
            server.stop()
    merge(out, figures)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    run_async(main)
