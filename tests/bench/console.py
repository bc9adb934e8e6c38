"""``make bench`` (screens part): how long the agent console takes to load on localhost.

A real hub with an agent holding 3 assigned conversations (a full chat load); Debian's chromium (headless)
opens /console with the agent's session already signed in, 15 times, each in a fresh browser context
(nothing cached). A load is timed from the navigation's start to the console being usable: connected, and
the conversation list drawn. Goal: ≤ 1 s. Results are merged into ``var/bench.json``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

import httpx

from tests.bench.output import merge
from tests.support.clients import Agent, Customer, close_all
from tests.support.hub import HubServer

CHROMIUM = Path("/usr/bin/chromium")
LOADS, CONVERSATIONS = 15, 3
READY_JS = ("() => document.querySelector('#conn')?.textContent === 'Connected'"
            f" && document.querySelectorAll('#convs .conv').length >= {CONVERSATIONS}")


async def _traffic(hub: HubServer) -> str:
    """The agent's token, with conversations assigned to them."""
    agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
    await agent.ready()
    for n in range(CONVERSATIONS):
        customer, _ = await Customer.open(hub.ws, name=f"Customer {n}")
        await customer.say("I need a person please")
        await agent.accept_next_offer()
    token = agent.token
    await close_all()
    return token


def _loads(hub: HubServer, token: str) -> list[float]:
    from playwright.sync_api import sync_playwright

    timings = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for _ in range(LOADS):
            context = browser.new_context(locale="en-US")
            context.add_init_script(f"sessionStorage.setItem('hub.console.token', {json.dumps(token)})")
            page = context.new_page()
            page.goto(f"{hub.http}/console")
            page.wait_for_function(READY_JS, timeout=10_000)
            timings.append(page.evaluate("() => performance.now()"))
            context.close()
        browser.close()
    return timings


def main(out: Path) -> None:
    if not CHROMIUM.exists():
        print(f"skipped: {CHROMIUM} is missing", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory(prefix="hub-bench-console-") as tmp, HubServer(Path(tmp) / "hub") as hub:
        token = asyncio.run(_traffic(hub))
        httpx.get(f"{hub.http}/console").raise_for_status()
        timings = sorted(_loads(hub, token))
    figures = {"console_load_ms_p50": round(timings[len(timings) // 2], 1),
               "console_load_ms_max": round(timings[-1], 1),
               "console_load_setup": {"loads": LOADS, "assigned_conversations": CONVERSATIONS,
                                      "until": "connected and the conversation list drawn", "browser": "chromium"}}
    merge(out, figures)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("var/bench.json"))
    main(parser.parse_args().out)
