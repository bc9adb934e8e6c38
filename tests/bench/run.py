"""``make bench``: the message path (customer send → agent receive) over real websockets.

200 customers and 20 agents, each customer's conversation assigned to an agent; an offered load of
500 messages/s for 30 s gives the latency percentiles and the server's CPU per message (process, threads
and the embedded redis-server); rising steps, then bisection, find the highest rate sustained without
errors. All of it for the hub, for a bare ``websockets`` relay and for the same relay on the hub's web stack
(litestar on uvicorn), measured the same way in the same run.
Results are merged into ``var/bench.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec
from websockets.asyncio.client import ClientConnection, connect

from hub.auth import hash_password
from hub.ids import new_id
from hub.models import User, UserRole, utcnow
from hub.store.sqlite import SQLiteStore
from tests.bench.cpu import tree_cpu_s
from tests.bench.load import Tally, offer_load, percentile, read_agent, read_customer
from tests.bench.output import merge, run_async
from tests.support.hub import ROOT, HubServer, free_port

CUSTOMERS, AGENTS = 200, 20
STEADY_RATE, STEADY_SECONDS = int(os.environ.get("BENCH_RATE", "500")), int(os.environ.get("BENCH_SECONDS", "30"))
# Offered rates rise by a quarter each step from the first until one is not sustained.
STEPS = [round(int(os.environ.get("BENCH_FIRST_STEP", "750")) * 1.25**k) for k in range(30)]
STEP_SECONDS, DRAIN_SECONDS, SETTLE_SECONDS = 5, 2.0, 3.0
BISECTIONS = 3
SUSTAINED_P99_MS = 250.0


async def _make_agents(data_dir: Path) -> None:
    store = SQLiteStore(data_dir / "hub.sqlite3")
    await store.open()
    password = hash_password("bench")
    for n in range(AGENTS):
        await store.add_user(User(id=new_id(), username=f"bench{n}", password_hash=password, role=UserRole.AGENT,
                                  created_at=utcnow(), capacity=CUSTOMERS // AGENTS))
    await store.close()


async def _hub_clients(hub: HubServer) -> tuple[list[ClientConnection], list[ClientConnection]]:
    sockets = []
    async with httpx.AsyncClient(base_url=hub.http, timeout=30) as http:
        for n in range(AGENTS):
            token = (await http.post("/api/auth/login", json={"username": f"bench{n}", "password": "bench"})).json()
            ws = await connect(f"{hub.ws}/ws/agent?token={token['token']}", max_size=None)
            await ws.recv()  # welcome
            headers = {"authorization": f"Bearer {token['token']}"}
            (await http.post("/api/agent/state", json={"state": "ready"}, headers=headers)).raise_for_status()
            sockets.append((ws, headers))
        customers = [await connect(f"{hub.ws}/ws/webchat", max_size=None) for _ in range(CUSTOMERS)]
        for ws in customers:
            await ws.send('{"type":"hello","token":null}')
        for n, ws in enumerate(customers):
            await ws.send(json.dumps({"type": "message", "client_id": f"start{n}", "text": "hello"}))
        await asyncio.gather(*(_accept_offers(http, ws, headers, CUSTOMERS // AGENTS) for ws, headers in sockets))
    return [ws for ws, _ in sockets], customers


async def _accept_offers(http: httpx.AsyncClient, ws: ClientConnection, headers: dict[str, str], count: int) -> None:
    accepted = 0
    while accepted < count:
        frame = msgspec.json.decode(await asyncio.wait_for(ws.recv(), 60))
        if frame.get("type") == "offer":
            url = f"/api/conversations/{frame['conversation_id']}/accept"
            (await http.post(url, headers=headers)).raise_for_status()
            accepted += 1


async def _relay_clients(port: int) -> tuple[list[ClientConnection], list[ClientConnection]]:
    agents = [await connect(f"ws://127.0.0.1:{port}/agent/{n}", max_size=None) for n in range(AGENTS)]
    customers = []
    for _ in range(CUSTOMERS):
        ws = await connect(f"ws://127.0.0.1:{port}/", max_size=None)
        await ws.send('{"type":"hello","token":null}')
        await ws.recv()
        customers.append(ws)
    return agents, customers


async def _drain_customers(customers: list[ClientConnection], seconds: float = 1.0) -> None:
    async def drain(ws: ClientConnection) -> None:
        while True:
            await ws.recv()

    tasks = [asyncio.create_task(drain(ws)) for ws in customers]
    await asyncio.wait(tasks, timeout=seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _measure(customers: list[ClientConnection], tally: Tally, rate: float, seconds: float) -> dict:
    tally.reset()
    offered = await offer_load(customers, rate, seconds, tally)
    sent = len(tally.sent) + len(tally.latencies_ms)
    deadline = time.monotonic() + DRAIN_SECONDS
    while (tally.sent or tally.acks + tally.errors < sent) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return {"target_per_s": rate, "offered_per_s": round(offered, 1), "sent": sent,
            "delivered": len(tally.latencies_ms), "errors": tally.errors, "acks": tally.acks,
            "p50_ms": round(percentile(tally.latencies_ms, 0.50), 3),
            "p99_ms": round(percentile(tally.latencies_ms, 0.99), 3)}


def _sustained(step: dict) -> bool:
    return (step["errors"] == 0 and step["delivered"] == step["sent"] and step["acks"] == step["sent"]
            and step["offered_per_s"] >= 0.95 * step["target_per_s"] and step["p99_ms"] <= SUSTAINED_P99_MS)


async def _ramp(customers: list[ClientConnection], tally: Tally, label: str) -> tuple[float, list[dict]]:
    """Steps up until a rate is not sustained, then halves the gap between the last rate that was and the
    first that was not, BISECTIONS times (the figure is then within about 3 % of the true limit)."""
    best, steps = 0.0, []
    good: float | None = None
    bad: float | None = None

    async def attempt(rate: float) -> bool:
        step = await _measure(customers, tally, rate, STEP_SECONDS)
        steps.append(step)
        print(f"  {label} {rate}/s → {step}", flush=True)
        return _sustained(step)

    for rate in STEPS:
        if not await attempt(rate):
            bad = rate
            break
        good, best = rate, steps[-1]["offered_per_s"]
    for _ in range(BISECTIONS if good is not None and bad is not None else 0):
        await asyncio.sleep(SETTLE_SECONDS)  # what an overloaded step left behind drains first
        assert good is not None and bad is not None
        rate = round((good + bad) / 2)
        if await attempt(rate):
            good, best = rate, steps[-1]["offered_per_s"]
        else:
            bad = rate
    return best, steps


async def _run_clients(agents, customers, server_pid: int, label: str) -> dict:
    tally = Tally()
    readers = [asyncio.create_task(read_agent(ws, tally)) for ws in agents]
    readers += [asyncio.create_task(read_customer(ws, tally)) for ws in customers]
    result: dict = {}
    used = tree_cpu_s(server_pid)
    steady = result["steady"] = await _measure(customers, tally, STEADY_RATE, STEADY_SECONDS)
    used = tree_cpu_s(server_pid) - used
    steady["server_cpu_us_per_msg"] = round(used / steady["delivered"] * 1e6, 1) if steady["delivered"] else None
    print(f"  {label} steady → {steady}", flush=True)
    result["best"], result["steps"] = await _ramp(customers, tally, label)
    for ws in [*agents, *customers]:
        await ws.close()
    for reader in readers:
        reader.cancel()
    return result


async def bench_hub(work: Path) -> dict:
    data = work / "hub"
    data.mkdir()
    await _make_agents(data)
    env = {"HUB_AGENT_CAPACITY": str(CUSTOMERS // AGENTS), "HUB_WS_RATE_PER_S": "100000", "HUB_WS_BURST": "100000",
           "HUB_LOGIN_ATTEMPTS_PER_MIN": "1000",
           "HUB_SWEEP_INTERVAL_S": "1.0"}  # the product's default (tests sweep five times as often, to be quick)
    with HubServer(data, env=env) as hub:
        agents, customers = await _hub_clients(hub)
        await _drain_customers(customers)
        assert hub.process is not None
        return await _run_clients(agents, customers, hub.process.pid, label="hub")


async def bench_relay(module: str = "tests.bench.relay", label: str = "relay") -> dict:
    port = free_port()
    relay = subprocess.Popen([sys.executable, "-m", module, str(port), str(AGENTS)], cwd=ROOT,
                             stdin=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                agents, customers = await _relay_clients(port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        return await _run_clients(agents, customers, relay.pid, label=label)
    finally:
        relay.terminate()
        relay.wait(timeout=10)


def _share(part: float | None, whole: float | None) -> float | None:
    return round(part / whole, 3) if part and whole else None


async def main(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        hub = await bench_hub(Path(tmp))
    relay = await bench_relay()
    framework = await bench_relay("tests.bench.framework_relay", "litestar relay")
    steady = hub["steady"]
    figures = {
        "msg_path_p50_ms": steady["p50_ms"],
        "msg_path_p99_ms": steady["p99_ms"],
        "msg_path_offered_per_s": steady["offered_per_s"],
        "msg_path_seconds": STEADY_SECONDS,
        "msg_path_delivered": steady["delivered"],
        "msg_path_errors": steady["errors"],
        "msgs_per_s": hub["best"],
        "bare_relay_msgs_per_s": relay["best"],
        "ratio_vs_bare_relay": round(hub["best"] / relay["best"], 3) if relay["best"] else None,
        # The same relay on the hub's own web stack (litestar on uvicorn): what the framework costs by itself.
        "framework_relay_msgs_per_s": framework["best"],
        "ratio_vs_framework_relay": round(hub["best"] / framework["best"], 3) if framework["best"] else None,
        # CPU per message at the steady rate (server process, threads and children), and the relay's share of
        # the hub's: steadier than the rate ratio, which the load generator's core share on a small machine bends.
        "hub_cpu_us_per_msg": steady["server_cpu_us_per_msg"],
        "bare_relay_cpu_us_per_msg": relay["steady"]["server_cpu_us_per_msg"],
        "framework_relay_cpu_us_per_msg": framework["steady"]["server_cpu_us_per_msg"],
        "cpu_ratio_vs_bare_relay": _share(relay["steady"]["server_cpu_us_per_msg"], steady["server_cpu_us_per_msg"]),
        "msg_path_setup": {"customers": CUSTOMERS, "agents": AGENTS, "cores": os.cpu_count(),
                           "sustained_means": f"no errors, all acked and delivered, p99 <= {SUSTAINED_P99_MS} ms"},
        "msg_path_steps": {"hub": hub["steps"], "relay": relay["steps"], "framework_relay": framework["steps"]},
    }
    merge(out, figures)
    print(json.dumps({k: v for k, v in figures.items() if k != "msg_path_steps"}, indent=2))


if __name__ == "__main__":
    run_async(main)
