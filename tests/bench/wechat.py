"""``make bench`` (WeChat part): signed, safe-mode text callbacks answered by the bot, per second.

A real hub (subprocess, embedded SQLite and Redis) serves one safe-mode Official Account; 200 followers post
text callbacks (each sealed with AES and signed as WeChat does) asking a question the knowledge base answers,
with 32 callbacks in flight at once, for a fixed count. A callback counts when its HTTP reply is the bot's
answer, sealed (opened and checked here). Results are merged into ``var/bench.json``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import time
from pathlib import Path

import httpx

from tests.bench.output import merge, run_async
from tests.support.fake_wechat import FakeWeChat
from tests.support.hub import HubServer
from tests.support.kb import publish, signed_in
from tests.support.wechat_follower import Follower, account_config

FOLLOWERS, IN_FLIGHT, CALLBACKS, WARM_UP = 200, 32, 3000, 200
QUESTION = "营业时间是几点"
ANSWER = "We are open 9:00-18:00, Monday to Friday."


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def _prepare(hub: HubServer) -> None:
    admin = await signed_in(hub.http, "admin", hub.demo_password("admin"))
    await publish(admin, title="Opening hours", question="What are your opening hours?", answer=ANSWER,
                  similar=["when are you open", QUESTION])
    await admin.aclose()


async def _callbacks(followers: list[Follower], count: int) -> tuple[float, list[float], int]:
    """Post ``count`` callbacks (round robin over the followers, ``IN_FLIGHT`` at once): wall time, each
    one's latency in ms, and how many were answered by the bot."""
    latencies: list[float] = []
    answered = 0
    queue = list(range(count))

    async def worker() -> None:
        nonlocal answered
        while queue:
            n = queue.pop()
            follower = followers[n % len(followers)]
            started = time.perf_counter()
            reply = await follower.say(QUESTION)
            latencies.append((time.perf_counter() - started) * 1000)
            answered += reply.status == 200 and reply.text == ANSWER

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    return time.perf_counter() - started, latencies, answered


async def main(out: Path) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would time the terminal
    with FakeWeChat() as api, tempfile.TemporaryDirectory(prefix="hub-bench-wechat-") as tmp:
        account = account_config("bench", api.appid, api.secret, api.base_url, "safe")
        accounts_file = Path(tmp) / "wechat.json"
        accounts_file.write_text(json.dumps([account]))
        with HubServer(Path(tmp) / "hub", env={"HUB_WECHAT_FILE": str(accounts_file)}) as hub:
            await _prepare(hub)
            limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
            async with httpx.AsyncClient(base_url=hub.http, timeout=30, limits=limits) as http:
                followers = [Follower(http, account, f"oBench{n:05d}") for n in range(FOLLOWERS)]
                print(f"  warming up ({WARM_UP} callbacks) …", flush=True)
                await _callbacks(followers, WARM_UP)
                print(f"  {CALLBACKS} signed safe-mode callbacks, {IN_FLIGHT} in flight …", flush=True)
                seconds, latencies, answered = await _callbacks(followers, CALLBACKS)
    figures = {
        "wechat_callbacks_per_s": round(answered / seconds, 1),
        "wechat_callback_p50_ms": round(percentile(latencies, 0.50), 2),
        "wechat_callback_p99_ms": round(percentile(latencies, 0.99), 2),
        "wechat_setup": {"mode": "safe", "followers": FOLLOWERS, "in_flight": IN_FLIGHT, "callbacks": CALLBACKS,
                         "answered_by_the_bot": answered, "cores": 2},
    }
    merge(out, figures)
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    run_async(main)
