"""A WeChat follower's conversation in the agent console (Chinese UI): the picture they sent, the agent's
reply going out through the WeChat API, and a reply WeChat refused (45015) marked as not delivered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.fake_wechat import FakeWeChat
from tests.support.hub import HubServer
from tests.support.threads import run_async
from tests.support.wechat_follower import Follower, account_config

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, expect

from tests.browser.staff import ready_agent_zh
from tests.browser.test_pages import _watch_errors

expect.set_options(timeout=10_000)


async def _follower_writes(hub: HubServer, account: dict[str, Any], follower_id: str) -> None:
    async with httpx.AsyncClient(base_url=hub.http, timeout=15) as http:
        follower = Follower(http, account, follower_id)
        picture = follower.xml("image", "<PicUrl><![CDATA[http://mmbiz.qpic.cn/bag.jpg]]></PicUrl>"
                                        "<MediaId><![CDATA[m1]]></MediaId>", msg_id=8_000_000_000_000_000_001)
        assert (await follower.post(picture)).status == 200
        assert (await follower.say("我的行李丢了，转人工")).status == 200


def test_an_agent_answers_a_wechat_follower_and_sees_what_was_not_delivered(
        browser: Browser, tmp_path: Path, shots: Path) -> None:
    errors: list[str] = []
    with FakeWeChat() as api:
        account = account_config("airport", api.appid, api.secret, api.base_url, "safe")
        accounts_file = tmp_path / "wechat.json"
        accounts_file.write_text(json.dumps([account]))
        with HubServer(tmp_path / "hub", env={"HUB_WECHAT_FILE": str(accounts_file)}) as hub:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 760})
            try:
                console = context.new_page()
                _watch_errors(console, errors)
                ready_agent_zh(console, hub)
                run_async(_follower_writes(hub, account, "oFollower_browser_1"))
                console.locator(".offer").get_by_role("button", name="接入").click()
                log = console.get_by_role("log")
                expect(log.locator(".msg.customer").last).to_contain_text("我的行李丢了")
                picture = log.get_by_role("link", name="查看图片")
                expect(picture).to_have_attribute("href", "http://mmbiz.qpic.cn/bag.jpg")

                console.get_by_role("textbox", name="回复").fill("您好，请问航班号是多少？")
                console.get_by_role("textbox", name="回复").press("Enter")
                run_async(api.wait_sent_to("oFollower_browser_1", 2))  # the greeting, then the reply
                assert [m.content["content"] for m in api.sent][-1] == "您好，请问航班号是多少？"

                api.fail_next_send("oFollower_browser_1", 45015)
                console.get_by_role("textbox", name="回复").fill("还在吗？")
                console.get_by_role("textbox", name="回复").press("Enter")
                refused = log.locator(".msg.agent.undelivered")
                expect(refused).to_contain_text("还在吗？")
                expect(refused).to_contain_text("未送达")
                expect(log.locator(".msg.note")).to_contain_text("超过 48 小时")
                console.screenshot(path=shots / "console-wechat-zh.png")
                assert not errors, errors
            finally:
                context.close()
