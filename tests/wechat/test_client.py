"""WeChatClient against a real local HTTP server that speaks WeChat's API (tests/support/fake_wechat.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import traceback
from collections.abc import AsyncIterator

import httpx
import pytest

from connectors.base import AuthFailed, ConnectorError, Rejected, Retryable
from connectors.wechat.client import (
    MediaTooLarge,
    MemoryTokenCache,
    OutsideWindow,
    TooManyMessages,
    WeChatClient,
    WeChatRejected,
)
from connectors.wechat.payloads import Article
from hub.logs import install_redaction
from tests.support.fake_wechat import FakeWeChat

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


@pytest.fixture
async def api() -> AsyncIterator[FakeWeChat]:
    async with FakeWeChat() as server:
        yield server


@pytest.fixture
async def client(api: FakeWeChat) -> AsyncIterator[WeChatClient]:
    async with WeChatClient(api.appid, api.secret, api.base_url, tokens=MemoryTokenCache()) as wechat:
        yield wechat


def _client(api: FakeWeChat, tokens: MemoryTokenCache | None = None, **options: object) -> WeChatClient:
    return WeChatClient(api.appid, str(options.pop("secret", api.secret)), api.base_url,
                        tokens=tokens or MemoryTokenCache(), **options)  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the access token -----------------------------------------------------------------------------------------


async def test_token_is_fetched_once_and_reused_across_calls(api: FakeWeChat, client: WeChatClient) -> None:
    for n in range(3):
        await client.send_text(OPENID, f"message {n}")
    assert api.token_fetches == 1
    assert len(api.sent) == 3


async def test_token_is_cached_five_minutes_less_than_wechat_grants(api: FakeWeChat) -> None:
    class Recording(MemoryTokenCache):
        ttls: list[float] = []

        async def put(self, appid: str, token: str, ttl_s: float) -> None:
            self.ttls.append(ttl_s)
            await super().put(appid, token, ttl_s)

    tokens = Recording()
    async with _client(api, tokens) as wechat:
        await wechat.send_text(OPENID, "hello")
    assert tokens.ttls == [7200 - 300]


async def test_clients_sharing_one_cache_fetch_the_token_once_when_sending_together() -> None:
    async with FakeWeChat(token_delay_s=0.3) as api:
        shared = MemoryTokenCache()  # one cache, several clients: the hub's processes sharing Redis
        clients = [_client(api, shared) for _ in range(6)]
        try:
            await asyncio.gather(*(c.send_text(OPENID, f"from process {n}") for n, c in enumerate(clients)))
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        assert api.token_fetches == 1
        assert len(api.sent) == 6


async def test_waiting_for_a_refresh_held_elsewhere_gives_up_as_retryable(api: FakeWeChat) -> None:
    tokens = MemoryTokenCache()
    assert await tokens.lock(api.appid, 60)  # another process is refreshing and never finishes
    async with _client(api, tokens, lock_wait_s=0.3) as wechat:
        with pytest.raises(Retryable):
            await wechat.send_text(OPENID, "hello")
    assert api.token_fetches == 0


@pytest.mark.parametrize("errcode", [42001, 40001, 40014])
async def test_token_expired_mid_send_is_refreshed_and_the_message_delivered_once(
    api: FakeWeChat, client: WeChatClient, errcode: int
) -> None:
    await client.send_text(OPENID, "first")
    api.expire_token(errcode)
    await client.send_text(OPENID, "second")
    assert [m.content["content"] for m in api.sent] == ["first", "second"]
    assert api.token_fetches == 2


async def test_token_refused_again_right_after_refresh_raises_instead_of_looping(
    api: FakeWeChat, client: WeChatClient
) -> None:
    await client.send_text(OPENID, "first")
    api.expire_token(times=2)
    with pytest.raises(Retryable):
        await client.send_text(OPENID, "second")
    assert api.token_fetches == 2
    assert api.calls.count("/cgi-bin/message/custom/send") == 3  # first, then one try and one retry
    assert len(api.sent) == 1


async def test_wrong_secret_is_auth_failed(api: FakeWeChat) -> None:
    async with _client(api, secret="not-the-secret") as wechat:
        with pytest.raises(AuthFailed):
            await wechat.send_text(OPENID, "hello")
    assert api.token_fetches == 1


async def test_unknown_appid_is_auth_failed(api: FakeWeChat) -> None:
    async with WeChatClient("wx-someone-else", api.secret, api.base_url, tokens=MemoryTokenCache()) as wechat:
        with pytest.raises(AuthFailed):
            await wechat.send_text(OPENID, "hello")


async def test_ip_not_whitelisted_on_a_call_is_auth_failed(api: FakeWeChat, client: WeChatClient) -> None:
    api.fail_next_send(OPENID, 40164)
    with pytest.raises(AuthFailed):
        await client.send_text(OPENID, "hello")


# -- what WeChat says about a message -----------------------------------------------------------------------------


async def test_reply_outside_the_48_hour_window_is_rejected_as_outside_window(
    api: FakeWeChat, client: WeChatClient
) -> None:
    api.fail_next_send(OPENID, 45015)
    with pytest.raises(OutsideWindow) as caught:
        await client.send_text(OPENID, "hello")
    assert isinstance(caught.value, Rejected)
    assert caught.value.reason == "outside_window"
    assert "48 hours" in str(caught.value)
    assert api.sent == []


async def test_too_many_replies_is_rejected_as_too_many_messages(api: FakeWeChat, client: WeChatClient) -> None:
    api.fail_next_send(OPENID, 45047)
    with pytest.raises(TooManyMessages) as caught:
        await client.send_text(OPENID, "hello")
    assert isinstance(caught.value, Rejected)
    assert caught.value.reason == "too_many_messages"


async def test_other_errcodes_are_rejected_keeping_the_errcode(api: FakeWeChat, client: WeChatClient) -> None:
    api.fail_next_send(OPENID, 40003)
    with pytest.raises(WeChatRejected) as caught:
        await client.send_text(OPENID, "hello")
    assert (caught.value.reason, caught.value.errcode) == ("rejected", 40003)


async def test_system_busy_is_retryable_and_the_next_send_goes_through(
    api: FakeWeChat, client: WeChatClient
) -> None:
    api.fail_next_send(OPENID, -1)
    with pytest.raises(Retryable):
        await client.send_text(OPENID, "hello")
    await client.send_text(OPENID, "hello")
    assert len(api.sent) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_http_5xx_and_429_are_retryable(api: FakeWeChat, client: WeChatClient, status: int) -> None:
    await client.send_text(OPENID, "first")  # the token is cached: the failure hits the send itself
    api.fail_next_request(status)
    with pytest.raises(Retryable):
        await client.send_text(OPENID, "second")


async def test_connection_refused_is_retryable() -> None:
    base = f"http://127.0.0.1:{_free_port()}"
    async with WeChatClient("wx0", "secret", base, tokens=MemoryTokenCache()) as wechat:
        with pytest.raises(Retryable):
            await wechat.send_text(OPENID, "hello")


async def test_timeout_is_retryable() -> None:
    async with FakeWeChat(token_delay_s=0.4) as api, _client(api, timeout=0.1) as wechat:
        with pytest.raises(Retryable):
            await wechat.send_text(OPENID, "hello")


async def test_no_error_text_carries_the_token_or_the_secret(api: FakeWeChat, client: WeChatClient) -> None:
    errors: list[ConnectorError] = []

    async def collect(action: object) -> None:
        try:
            await action  # type: ignore[misc]
        except ConnectorError as exc:
            errors.append(exc)

    await client.send_text(OPENID, "prime the token")
    for errcode in (45015, 45047, -1, 40003, 40164):
        api.fail_next_send(OPENID, errcode)
        await collect(client.send_text(OPENID, "hello"))
    api.fail_next_request(503)
    await collect(client.send_text(OPENID, "hello"))
    api.expire_token(times=2)
    await collect(client.send_text(OPENID, "hello"))
    await collect(client.download_media("no-such-media"))
    async with _client(api, secret="wrong-secret-1234567890") as wrong, _client(api, timeout=0.1) as slow:
        await collect(wrong.send_text(OPENID, "hello"))
        api.token_delay_s = 0.5
        await collect(slow.send_text(OPENID, "hello"))  # the token request, secret in its URL, times out

    assert len(errors) == 10
    texts = ["".join(traceback.format_exception(exc)) for exc in errors]
    for secret in (api.secret, "wrong-secret-1234567890", *api.issued):
        assert not [text for text in texts if secret in text]


async def test_httpx_request_log_lines_carry_neither_token_nor_secret(
    api: FakeWeChat, client: WeChatClient, caplog: pytest.LogCaptureFixture
) -> None:
    install_redaction()  # as the hub does at start-up
    with caplog.at_level(logging.INFO, logger="httpx"):
        await client.send_text(OPENID, "hello")
    lines = [record.getMessage() for record in caplog.records if record.name == "httpx"]
    assert len(lines) == 2
    assert all("[redacted]" in line for line in lines)
    assert not [line for line in lines if api.secret in line or api.issued[0] in line]


# -- message kinds ----------------------------------------------------------------------------------------------


async def test_chinese_text_arrives_as_utf8_characters_not_escapes(api: FakeWeChat, client: WeChatClient) -> None:
    await client.send_text(OPENID, "您好，请问有什么可以帮您？")
    [message] = await api.wait_sent(1)
    assert message.content == {"content": "您好，请问有什么可以帮您？"}
    assert not message.escaped
    assert "您好".encode() in message.raw


async def test_the_fake_notices_escaped_chinese_so_the_test_above_can_fail() -> None:
    with FakeWeChat() as api:  # the synchronous form, for tests that block
        async with httpx.AsyncClient(base_url=api.base_url) as http:
            token = (await http.get("/cgi-bin/token", params={"grant_type": "client_credential", "appid": api.appid,
                                                              "secret": api.secret})).json()["access_token"]
            body = json.dumps({"touser": OPENID, "msgtype": "text", "text": {"content": "您好"}})
            answer = await http.post("/cgi-bin/message/custom/send", params={"access_token": token}, content=body)
        assert answer.json() == {"errcode": 0, "errmsg": "ok"}
        assert api.sent[0].escaped


async def test_upload_after_token_expiry_is_retried_with_the_same_file(api: FakeWeChat, client: WeChatClient) -> None:
    await client.send_text(OPENID, "prime the token")
    api.expire_token()
    media_id = await client.upload_media("image", PNG, "photo.png", "image/png")
    assert api.media[media_id].data == PNG
    assert api.token_fetches == 2


async def test_uploaded_image_downloads_back_with_its_content_type(api: FakeWeChat, client: WeChatClient) -> None:
    media_id = await client.upload_media("image", PNG, "photo.png", "image/png")
    media = await client.download_media(media_id)
    assert media.data == PNG
    assert media.content_type == "image/png"


async def test_uploaded_image_can_be_sent_as_an_image_message(api: FakeWeChat, client: WeChatClient) -> None:
    media_id = await client.upload_media("image", PNG, "photo.png", "image/png")
    await client.send_image(OPENID, media_id)
    [message] = api.sent
    assert (message.msgtype, message.content) == ("image", {"media_id": media_id})


async def test_uploaded_voice_keeps_its_kind(api: FakeWeChat, client: WeChatClient) -> None:
    media_id = await client.upload_media("voice", b"#!AMR\n" + b"\0" * 64, "note.amr", "audio/amr")
    assert api.media[media_id].kind == "voice"
    assert (await client.download_media(media_id)).content_type == "audio/amr"


async def test_unknown_media_id_is_rejected_with_its_errcode(client: WeChatClient) -> None:
    with pytest.raises(WeChatRejected) as caught:
        await client.download_media("no-such-media")
    assert caught.value.errcode == 40007


async def test_download_larger_than_the_limit_is_rejected(api: FakeWeChat) -> None:
    media_id = api.add_media(b"\0" * 4096, "image/jpeg")
    async with _client(api, max_download_bytes=1024) as wechat:
        with pytest.raises(MediaTooLarge) as caught:
            await wechat.download_media(media_id)
    assert caught.value.reason == "media_too_large"
    assert "1 KB" in str(caught.value)


async def test_news_message_carries_the_article(api: FakeWeChat, client: WeChatClient) -> None:
    article = Article(title="新品上市", description="点击查看详情", url="https://example.com/new",
                      pic_url="https://example.com/new.jpg")
    await client.send_news(OPENID, [article])
    [message] = api.sent
    assert message.msgtype == "news"
    assert message.content == {"articles": [{"title": "新品上市", "description": "点击查看详情",
                                             "url": "https://example.com/new",
                                             "picurl": "https://example.com/new.jpg"}]}
    assert not message.escaped


async def test_more_news_articles_than_wechat_accepts_is_rejected_with_45008(
    api: FakeWeChat, client: WeChatClient
) -> None:
    with pytest.raises(WeChatRejected) as caught:
        await client.send_news(OPENID, [Article(title="one"), Article(title="two")])
    assert caught.value.errcode == 45008


async def test_news_sends_at_most_eight_articles() -> None:
    async with FakeWeChat(max_news_articles=8) as api, _client(api) as wechat:
        await wechat.send_news(OPENID, [Article(title=f"article {n}") for n in range(12)])
        [message] = api.sent
        assert [a["title"] for a in message.content["articles"]] == [f"article {n}" for n in range(8)]


# -- users --------------------------------------------------------------------------------------------------------


async def test_user_info_gives_nickname_and_avatar(api: FakeWeChat, client: WeChatClient) -> None:
    api.add_user(OPENID, "小明", "https://thirdwx.qlogo.cn/mmopen/avatar/132")
    info = await client.user_info(OPENID)
    assert info is not None
    assert (info.openid, info.nickname, info.headimgurl, info.subscribed) == (
        OPENID, "小明", "https://thirdwx.qlogo.cn/mmopen/avatar/132", True)


async def test_user_info_of_an_unknown_user_is_none(client: WeChatClient) -> None:
    assert await client.user_info("o-nobody") is None


async def test_user_info_when_wechat_is_down_is_none(api: FakeWeChat, client: WeChatClient) -> None:
    api.add_user(OPENID, "小明")
    api.fail_next_request(503)
    assert await client.user_info(OPENID) is None


async def test_user_info_with_refused_credentials_raises_auth_failed(api: FakeWeChat) -> None:
    async with _client(api, secret="not-the-secret") as wechat:
        with pytest.raises(AuthFailed):
            await wechat.user_info(OPENID)
