"""The baselines ``make bench`` compares the hub with relay what the hub's message path carries: a customer's
message reaches its agent, the customer gets it back and an ack (else the ratios would measure nothing)."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest
from websockets.asyncio.client import connect

from tests.support.hub import ROOT, free_port


@pytest.mark.parametrize("module", ["tests.bench.relay", "tests.bench.framework_relay"])
async def test_a_relay_carries_the_message_path(module: str) -> None:
    port = free_port()
    relay = await asyncio.create_subprocess_exec(sys.executable, "-m", module, str(port), "2", cwd=ROOT,
                                                 stdin=asyncio.subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                agent = await connect(f"ws://127.0.0.1:{port}/agent/0")
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            pytest.fail(f"{module} did not start")
        customer = await connect(f"ws://127.0.0.1:{port}/")
        await customer.send('{"type":"hello","token":null}')
        assert json.loads(await customer.recv())["type"] == "welcome"
        await customer.send('{"type":"message","client_id":"c1","text":"hello"}')
        echoed, acked = json.loads(await customer.recv()), json.loads(await customer.recv())
        delivered = json.loads(await asyncio.wait_for(agent.recv(), 5))
        assert (echoed["type"], echoed["text"]) == ("message", "hello")
        assert (acked["type"], acked["client_id"]) == ("ack", "c1")
        assert delivered == echoed
        await customer.close()
        await agent.close()
    finally:
        relay.terminate()
        await asyncio.wait_for(relay.wait(), 10)
