"""The WeChat connector's shared state on a real Redis: one access token for every hub process (fetched by one
of them, with a lock only its owner releases), and callbacks claimed once."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from connectors.wechat.client import WeChatClient
from hub.channel_state import PENDING, RedisCallbackLedger, RedisTokenCache
from hub.scripts import Scripts
from tests.support.fake_wechat import FakeWeChat
from tests.support.redis import RedisServer

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


@pytest.fixture
def redis(fresh_redis: Redis) -> Redis:
    return fresh_redis


async def test_processes_sharing_redis_fetch_the_token_once(redis: Redis, redis_server: RedisServer) -> None:
    async with FakeWeChat(token_delay_s=0.3) as api:
        processes = [Redis.from_url(redis_server.url, decode_responses=True) for _ in range(4)]  # one each
        clients = [WeChatClient(api.appid, api.secret, api.base_url, tokens=RedisTokenCache(r, Scripts(r), "wechat"))
                   for r in processes]
        try:
            await asyncio.gather(*(c.send_text(OPENID, f"from process {n}") for n, c in enumerate(clients)))
            await clients[0].send_text(OPENID, "later")  # cached: no new fetch
        finally:
            await asyncio.gather(*(c.aclose() for c in clients), *(r.aclose() for r in processes))
        assert api.token_fetches == 1 and len(api.sent) == 5
        assert await redis.get("hub:tok:wechat:" + api.appid) == api.issued[0]


async def test_a_lock_is_released_only_by_its_owner_and_a_stale_token_only_if_unchanged(redis: Redis) -> None:
    mine, theirs = RedisTokenCache(redis, Scripts(redis), "wechat"), RedisTokenCache(redis, Scripts(redis), "wechat")
    assert await mine.lock("wx1", 30) and not await theirs.lock("wx1", 30)
    await theirs.unlock("wx1")  # not theirs to release
    assert not await theirs.lock("wx1", 30)
    await mine.unlock("wx1")
    assert await theirs.lock("wx1", 30)
    await mine.put("wx1", "new-token", 60)
    await theirs.invalidate("wx1", "old-token")  # someone saw an older token fail: the new one stays
    assert await mine.get("wx1") == "new-token"
    await theirs.invalidate("wx1", "new-token")
    assert await mine.get("wx1") is None


async def test_a_callback_is_claimed_once_and_a_retry_gets_its_reply(redis: Redis) -> None:
    ledger = RedisCallbackLedger(redis, "wechat")
    assert await ledger.claim("wx1:msg:1", 60) is None  # the first handler takes it
    assert await ledger.claim("wx1:msg:1", 60) == PENDING  # a retry while it works
    await ledger.settle("wx1:msg:1", "<xml>reply</xml>", 60)
    assert await ledger.claim("wx1:msg:1", 60) == "<xml>reply</xml>"  # a later retry: the same reply
    await ledger.release("wx1:msg:2")  # releasing what nobody claimed changes nothing
    assert await ledger.claim("wx1:msg:2", 60) is None
    await ledger.release("wx1:msg:2")  # the handler failed before storing: a retry may take it
    assert await ledger.claim("wx1:msg:2", 60) is None
