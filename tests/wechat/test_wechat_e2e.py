"""WeChat end to end: a real hub (subprocess, own SQLite and Redis) with three Official Accounts, one per
security mode, whose API calls go to a local server that speaks the WeChat API; followers' callbacks are
signed as WeChat signs them and posted over HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.wechat.crypto import url_signature
from hub.models import Channel, ConversationState, Role
from hub.store.sqlite import SQLiteStore
from tests.support.clients import Agent, close_all
from tests.support.fake_wechat import FakeWeChat, SentMessage
from tests.support.hub import HubServer
from tests.support.kb import publish, signed_in
from tests.support.wechat_follower import Follower, account_config

HOURS = {"title": "Opening hours", "question": "What are your opening hours?",
         "answer": "We are open 9:00-18:00, Monday to Friday.", "similar": ["when are you open", "营业时间是几点"]}
MODES = ["plain", "compat", "safe"]


@pytest.fixture(scope="module")
def api() -> Iterator[FakeWeChat]:
    with FakeWeChat() as fake:
        yield fake


@pytest.fixture(scope="module")
def accounts(api: FakeWeChat) -> dict[str, dict[str, Any]]:
    made = {mode: account_config(mode, api.appid, api.secret, api.base_url, mode) for mode in MODES}
    made["slow"] = account_config("slow", api.appid, api.secret, api.base_url, "plain", reply_budget_s=0.001)
    made["profile"] = account_config("profile", api.appid, api.secret, api.base_url, "plain", fetch_profile=True)
    made["menu"] = account_config("menu", api.appid, api.secret, api.base_url, "plain", menu={
        "HOURS": {"text": "营业时间是几点"}, "PERSON": {"queue": "general"}})
    return made


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, accounts: dict[str, dict[str, Any]]) -> Iterator[HubServer]:
    data = tmp_path_factory.mktemp("wechat-hub")
    accounts_file = data / "wechat.json"
    accounts_file.write_text(json.dumps({"accounts": list(accounts.values())}))
    with HubServer(data / "hub", env={"HUB_WECHAT_FILE": str(accounts_file), "HUB_OFFER_TIMEOUT_S": "5"}) as server:
        asyncio.run(_publish_hours(server))
        yield server


async def _publish_hours(server: HubServer) -> None:
    admin = await signed_in(server.http, "admin", server.demo_password("admin"))
    await publish(admin, **HOURS)
    await admin.aclose()


@pytest.fixture
async def http(hub: HubServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=hub.http, timeout=15) as client:
        yield client
    await close_all()


@pytest.fixture
async def agent(hub: HubServer) -> AsyncIterator[Agent]:
    signed = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
    await signed.ready()
    yield signed
    (await signed.http.post("/api/agent/state", json={"state": "not_ready", "reason": "done"})).raise_for_status()
    await signed.close()


def _texts(sent: list[SentMessage]) -> list[str]:
    return [message.content["content"] for message in sent]


async def _stored(hub: HubServer, follower: Follower) -> tuple[str, list[Any]]:
    """The follower's latest conversation and its messages, read from the hub's own store."""
    store = SQLiteStore(hub.data_dir / "hub.sqlite3")
    await store.open()
    try:
        identity = await store.find_identity(Channel.WECHAT, f"{follower.account['appid']}:{follower.openid}")
        assert identity is not None, "the follower is not a contact"
        conversation = await store.latest_conversation(identity.contact_id, Channel.WECHAT)
        assert conversation is not None
        return conversation.id, await store.messages(conversation.id)
    finally:
        await store.close()


async def test_url_verification_echoes_echostr_only_when_signed_with_the_token(
        http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]]) -> None:
    timestamp, nonce = str(int(time.time())), "4242"
    good = {"signature": url_signature("hubtoken123", timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
            "echostr": "5837397520928466"}
    answered = await http.get("/webhooks/wechat/plain", params=good)
    assert answered.status_code == 200 and answered.text == "5837397520928466"
    refused = await http.get("/webhooks/wechat/plain", params={**good, "signature": "0" * 40})
    assert refused.status_code == 403 and "5837397520928466" not in refused.text
    assert (await http.get("/webhooks/wechat/nobody", params=good)).status_code == 404


@pytest.mark.parametrize("mode", MODES)
async def test_a_follower_gets_the_bots_answer_in_the_passive_reply_in_every_mode(
        hub: HubServer, http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]], api: FakeWeChat,
        mode: str) -> None:
    follower = Follower(http, accounts[mode])
    sent_before = len(api.sent)
    reply = await follower.say("营业时间是几点")
    assert reply.status == 200 and reply.text == HOURS["answer"]
    _, messages = await _stored(hub, follower)
    assert [(m.role, m.text) for m in messages] == [(Role.CUSTOMER, "营业时间是几点"), (Role.BOT, HOURS["answer"])]
    assert len(api.sent) == sent_before, "a passive reply needs no API call"


@pytest.mark.parametrize("mode", MODES)
async def test_bad_signature_stale_timestamp_and_wrong_appid_are_refused_without_side_effects(
        hub: HubServer, http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]], mode: str) -> None:
    follower = Follower(http, accounts[mode])
    xml, _ = follower.text_xml("when are you open")
    assert (await follower.post(xml, tamper=True)).status == 403
    assert (await follower.post(xml, timestamp=int(time.time()) - 3600)).status == 403
    assert (await follower.post(xml, timestamp=int(time.time()) + 3600)).status == 403
    if mode != "plain":
        assert (await follower.post(xml, appid="wx0000000000000000")).status == 403
    store = SQLiteStore(hub.data_dir / "hub.sqlite3")
    await store.open()
    try:
        address = f"{accounts[mode]['appid']}:{follower.openid}"
        assert await store.find_identity(Channel.WECHAT, address) is None, "a refused callback made a contact"
    finally:
        await store.close()
    # nothing was claimed either: the real callback with the same MsgId is answered
    assert (await follower.post(xml)).text == HOURS["answer"]


async def test_plaintext_callbacks_are_refused_by_a_safe_mode_account(
        http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]]) -> None:
    follower = Follower(http, accounts["plain"])
    follower.account = {**accounts["safe"], "mode": "plain"}  # signed with the right token, but not sealed
    assert (await follower.say("hello")).status == 403


async def test_wechats_retries_are_answered_alike_and_stored_once(
        hub: HubServer, http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]]) -> None:
    follower = Follower(http, accounts["safe"])
    xml, _ = follower.text_xml("when are you open")
    replies = await asyncio.gather(*(follower.post(xml) for _ in range(3)))  # retries may overlap the first
    first = await follower.post(xml)
    answers = [r.text for r in [*replies, first] if r.text]
    assert answers and set(answers) == {HOURS["answer"]}
    assert all(r.status == 200 for r in replies)
    _, messages = await _stored(hub, follower)
    assert [m.role for m in messages] == [Role.CUSTOMER, Role.BOT], "a retry stored or answered twice"


async def test_a_slow_answer_goes_through_the_customer_service_api(
        hub: HubServer, http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]], api: FakeWeChat) -> None:
    follower = Follower(http, accounts["slow"])  # a reply budget of 1 ms: the bot is always later
    reply = await follower.say("营业时间是几点")
    assert reply.status == 200 and reply.body == "success"
    sent = await api.wait_sent_to(follower.openid, 1)
    assert _texts(sent) == [HOURS["answer"]] and not sent[0].escaped


async def test_subscribe_is_welcomed_and_its_qr_scene_kept(
        hub: HubServer, http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]]) -> None:
    follower = Follower(http, accounts["compat"])
    reply = await follower.post(follower.event_xml("subscribe", "qrscene_airport_T3"))
    assert reply.text is not None and "欢迎" in reply.text
    store = SQLiteStore(hub.data_dir / "hub.sqlite3")
    await store.open()
    try:
        identity = await store.find_identity(Channel.WECHAT, f"{accounts['compat']['appid']}:{follower.openid}")
        assert identity is not None
        contact = await store.get_contact(identity.contact_id)
        assert contact.attributes == {"wechat_subscribed": "yes", "wechat_scene": "airport_T3"}
        assert contact.locale == "zh-CN"
    finally:
        await store.close()
    assert (await follower.post(follower.event_xml("unsubscribe"))).body == "success"


async def _contact(hub: HubServer, follower: Follower) -> Any:
    store = SQLiteStore(hub.data_dir / "hub.sqlite3")
    await store.open()
    try:
        identity = await store.find_identity(Channel.WECHAT, f"{follower.account['appid']}:{follower.openid}")
        return None if identity is None else await store.get_contact(identity.contact_id)
    finally:
        await store.close()


async def test_scan_view_and_location_reports_are_taken_quietly(
        hub: HubServer, http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]]) -> None:
    follower = Follower(http, accounts["plain"])
    assert (await follower.post(follower.event_xml("SCAN", "gate_B12"))).body == "success"
    assert (await _contact(hub, follower)).attributes == {"wechat_scene": "gate_B12"}
    assert (await follower.post(follower.event_xml("VIEW", "https://example.com/flights",
                                                   created=int(time.time()) + 1))).body == "success"
    report = follower.xml("event", "<Event><![CDATA[LOCATION]]></Event><Latitude>31.14</Latitude>"
                                   "<Longitude>121.80</Longitude><Precision>65.0</Precision>",
                          created=int(time.time()) + 2)
    assert (await follower.post(report)).body == "success"


async def test_a_new_followers_nickname_is_looked_up_when_asked(
        hub: HubServer, http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]], api: FakeWeChat) -> None:
    follower = Follower(http, accounts["profile"])
    api.add_user(follower.openid, "旅客小李", "https://thirdwx.qlogo.cn/mmopen/a/132")
    assert (await follower.say("hello")).status == 200
    for _ in range(50):
        contact = await _contact(hub, follower)
        if "wechat_nickname" in contact.attributes:
            break
        await asyncio.sleep(0.1)
    assert contact.attributes == {"wechat_nickname": "旅客小李", "wechat_avatar": "https://thirdwx.qlogo.cn/mmopen/a/132"}
    assert contact.name == "旅客小李"  # what agents see in their console


async def test_pictures_and_unknown_types_are_stored_and_answered_politely(
        hub: HubServer, http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]]) -> None:
    follower = Follower(http, accounts["plain"])
    picture = follower.xml("image", "<PicUrl><![CDATA[http://mmbiz.qpic.cn/x.jpg]]></PicUrl>"
                                    "<MediaId><![CDATA[media_1]]></MediaId>", msg_id=7_000_000_000_000_000_001)
    odd = follower.xml("hologram", "<Shape><![CDATA[cube]]></Shape>", msg_id=7_000_000_000_000_000_002)
    for xml in (picture, odd):
        reply = await follower.post(xml)
        assert reply.status == 200 and reply.text is not None and "转人工" in reply.text
    _, messages = await _stored(hub, follower)
    customer = [m for m in messages if m.role is Role.CUSTOMER]
    assert customer[0].text == "[image]" and customer[0].meta["pic_url"] == "http://mmbiz.qpic.cn/x.jpg"
    assert customer[1].meta["wechat_type"] == "hologram" and "<Shape>" in customer[1].meta["raw_xml"]


async def test_pictures_and_voice_messages_are_kept_before_wechats_copy_expires(
        hub: HubServer, http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]], api: FakeWeChat) -> None:
    follower = Follower(http, accounts["safe"])
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 20
    amr = b"#!AMR\n" + bytes(300)
    picture_id = api.add_media(jpeg, "image/jpeg", "photo.jpg", kind="image")
    voice_id = api.add_media(amr, "audio/amr", "voice.amr", kind="voice")
    picture = f"<PicUrl><![CDATA[http://mmbiz.qpic.cn/p.jpg]]></PicUrl><MediaId><![CDATA[{picture_id}]]></MediaId>"
    voice = f"<MediaId><![CDATA[{voice_id}]]></MediaId><Format><![CDATA[amr]]></Format>"
    gone = "<PicUrl><![CDATA[http://mmbiz.qpic.cn/q.jpg]]></PicUrl><MediaId><![CDATA[expired]]></MediaId>"
    for n, (kind, body) in enumerate([("image", picture), ("voice", voice), ("image", gone)]):
        assert (await follower.post(follower.xml(kind, body, msg_id=7_100_000_000_000_000_001 + n))).status == 200
    _, messages = await _stored(hub, follower)
    customer = [m for m in messages if m.role is Role.CUSTOMER]
    assert [m.meta.get("content_type") for m in customer] == ["image/jpeg", "audio/amr", None]  # the last: gone
    store = SQLiteStore(hub.data_dir / "hub.sqlite3")
    await store.open()
    try:
        assert (await store.get_file(customer[0].meta["file_id"]))[1] == jpeg
        assert (await store.get_file(customer[1].meta["file_id"]))[1] == amr
    finally:
        await store.close()
    assert customer[2].meta["media_id"] == "expired" and customer[2].text == "[image]"  # kept what there was


async def test_a_menu_key_asks_the_bot_or_queues_for_a_person(
        hub: HubServer, http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]], agent: Agent) -> None:
    follower = Follower(http, accounts["menu"])
    assert (await follower.post(follower.event_xml("CLICK", "HOURS"))).text == HOURS["answer"]
    assert (await follower.post(follower.event_xml("CLICK", "NOWHERE", created=int(time.time()) + 1))).body == \
        "success"
    queued = await follower.post(follower.event_xml("CLICK", "PERSON", created=int(time.time()) + 2))
    assert queued.text is not None and "人工客服" in queued.text
    conversation_id = await agent.accept_next_offer()
    (await agent.http.post(f"/api/conversations/{conversation_id}/resolve")).raise_for_status()


async def test_to_an_agent_and_back_through_the_service_api(
        hub: HubServer, http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]], api: FakeWeChat,
        agent: Agent) -> None:
    follower = Follower(http, accounts["safe"])
    assert (await follower.say("营业时间是几点")).text == HOURS["answer"]
    queued = await follower.say("转人工")
    assert queued.text is not None and "正在为您转接人工客服" in queued.text
    offer = await agent.next("offer")
    conversation_id = offer["conversation_id"]
    (await agent.http.post(f"/api/conversations/{conversation_id}/accept")).raise_for_status()
    greeting = await api.wait_sent_to(follower.openid, 1)
    assert _texts(greeting) == ["客服agent为您服务。"]

    api.expire_token()  # the cached token is refused mid-conversation: refreshed, and sent once
    assert (await agent.reply(conversation_id, "您好，我是客服小王")).status_code == 201
    sent = await api.wait_sent_to(follower.openid, 2)
    assert _texts(sent) == ["客服agent为您服务。", "您好，我是客服小王"]

    later = await follower.say("谢谢")  # assigned: the bot is silent, the agent reads it
    assert later.body == "success"
    await agent.next("message", where=lambda f: f["text"] == "谢谢")

    api.fail_next_send(follower.openid, 45015)  # the customer has not written in 48 hours
    refused = await agent.reply(conversation_id, "还在吗？")
    assert refused.status_code == 201
    undelivered = await agent.next("undelivered")
    assert undelivered["reason"] == "outside_window" and undelivered["message_id"] == refused.json()["id"]

    view = (await agent.http.get(f"/api/conversations/{conversation_id}/messages")).json()
    assert [(m["role"], m["text"]) for m in view if not m.get("internal")] == [
        ("customer", "营业时间是几点"), ("bot", HOURS["answer"]), ("customer", "转人工"),
        ("system", "正在为您转接人工客服，请稍候。"), ("system", "客服agent为您服务。"),
        ("agent", "您好，我是客服小王"), ("customer", "谢谢"), ("agent", "还在吗？")]
    note = [m for m in view if m.get("internal")]
    assert note and note[-1]["meta"] == {"undelivered": refused.json()["id"], "reason": "outside_window"}
    resolved = await agent.http.post(f"/api/conversations/{conversation_id}/resolve")
    assert resolved.json()["state"] == ConversationState.RESOLVED
    closing = await api.wait_sent_to(follower.openid, 3)
    assert "请回复数字 1-5 为本次服务打分" in _texts(closing)[-1]

    rating = await follower.say("5")  # the answer to "please rate": kept, not a new question
    assert rating.text == "感谢您的评价！"
    rated = (await agent.http.get(f"/api/conversations/{conversation_id}")).json()
    assert (rated["state"], rated["csat"]) == ("resolved", 5)
    later = await follower.say("5")  # rated already: now it is a message like any other (back to the bot)
    assert later.text is not None and later.text != "感谢您的评价！"


async def _with_an_agent(follower: Follower, agent: Agent, api: FakeWeChat) -> tuple[Follower, str]:
    """The follower asked for a person, the agent took it, and the follower was told who serves them."""
    await follower.say("转人工")
    conversation_id = await agent.accept_next_offer()
    await api.wait_sent_to(follower.openid, 1)  # "客服agent为您服务。"
    return follower, conversation_id


async def test_an_agents_picture_reaches_the_follower_as_a_wechat_image(
        hub: HubServer, http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]], api: FakeWeChat,
        agent: Agent) -> None:
    follower, conversation_id = await _with_an_agent(Follower(http, accounts["plain"]), agent, api)
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 16
    uploaded = await agent.http.post(f"/api/conversations/{conversation_id}/files", content=jpeg,
                                     headers={"x-file-name": "map.jpg"})
    assert uploaded.status_code == 201
    sent = await agent.http.post(f"/api/conversations/{conversation_id}/messages",
                                 json={"text": "请看地图", "file_id": uploaded.json()["id"]})
    assert sent.status_code == 201 and sent.json()["meta"]["file_name"] == "map.jpg"
    out = await api.wait_sent_to(follower.openid, 3)
    image, words = out[-2], out[-1]
    assert image.msgtype == "image" and api.media[image.content["media_id"]].data == jpeg
    assert words.content["content"] == "请看地图"
    (await agent.http.post(f"/api/conversations/{conversation_id}/resolve")).raise_for_status()


async def test_a_bad_accounts_file_stops_the_start_with_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "wechat.yaml"
    bad.write_text("accounts:\n  - id: main\n    appid: wx1\n    secret: s3cr3t-value\n    token: ok123\n"
                   "    mode: safe\n")
    server = HubServer(tmp_path / "hub", env={"HUB_WECHAT_FILE": str(bad)})
    with pytest.raises(RuntimeError) as failed:
        server.start(timeout=20)
    assert "safe mode needs its encoding_aes_key" in str(failed.value)
    assert "s3cr3t-value" not in str(failed.value)


async def test_a_follower_put_on_hold_is_told_so_through_the_service_api(
        hub: HubServer, http: httpx.AsyncClient, accounts: dict[str, dict[str, Any]], api: FakeWeChat,
        agent: Agent) -> None:
    follower, conversation_id = await _with_an_agent(Follower(http, accounts["plain"]), agent, api)
    (await agent.http.post(f"/api/conversations/{conversation_id}/hold")).raise_for_status()
    held = await api.wait_sent_to(follower.openid, 2)
    assert _texts(held)[-1] == "请稍候，客服正在为您查询，马上回来。"
    (await agent.http.post(f"/api/conversations/{conversation_id}/resume")).raise_for_status()
    back = await api.wait_sent_to(follower.openid, 3)
    assert _texts(back)[-1] == "感谢您的耐心等待。"
    (await agent.http.post(f"/api/conversations/{conversation_id}/hold")).raise_for_status()
    await api.wait_sent_to(follower.openid, 4)
    (await agent.reply(conversation_id, "查到了")).raise_for_status()  # a reply ends the hold, without a notice
    after = await api.wait_sent_to(follower.openid, 5)
    assert _texts(after)[-2:] == ["请稍候，客服正在为您查询，马上回来。", "查到了"]
    assert (await agent.http.get(f"/api/conversations/{conversation_id}")).json()["on_hold_since"] is None
    (await agent.http.post(f"/api/conversations/{conversation_id}/resolve")).raise_for_status()
