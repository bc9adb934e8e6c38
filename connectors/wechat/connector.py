"""The WeChat Official Account connector: verified callbacks in, the 5-second rule, replies out.

A callback (``/webhooks/wechat/{account}``) is checked before anything else happens: its timestamp is
within five minutes, and it is signed with the account's token (the URL signature in plaintext mode; in
compatibility and safe mode the ``msg_signature`` over the encrypted body, whose appid must be ours). It is
parsed, then claimed once in the shared ledger, since WeChat retries a callback up to three times; a retry
gets the first one's reply again.

The hub stores the message and decides what follows. Whatever it says to this follower while the account's
reply budget lasts (4 s by default; WeChat waits 5) becomes the passive reply, in the HTTP response. When
the budget runs out first, the response is ``success``, and those messages and every later one go out
through the customer-service message API: in order, one follower at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from connectors.base import AuthFailed, Feature, Retryable
from connectors.wechat.accounts import WeChatAccount
from connectors.wechat.client import TokenCache, WeChatClient, WeChatRejected
from connectors.wechat.crypto import (
    CallbackRejected,
    WeChatCrypto,
    check_timestamp,
    check_url_signature,
)
from connectors.wechat.inbound import address, inbound, menu_inbound, openid_of
from connectors.wechat.payloads import (
    Click,
    Envelope,
    Image,
    Message,
    PayloadError,
    Scan,
    Subscribe,
    Unknown,
    Unsubscribe,
    Voice,
    dedupe_key,
    encrypted_reply,
    parse_callback,
    parse_encrypted,
    text_reply,
)
from hub.envelopes import Delivery, InboundMessage, OutboundMessage, PushHub
from hub.models import Channel

log = logging.getLogger(__name__)

SUCCESS = "success"  # WeChat's "received, no passive reply"
LEDGER_TTL_S = 300.0  # retries come within ~15 s; a callback older than the timestamp window is refused anyway
STORED_BY_S = 4.5  # WeChat gives up on a callback after 5 s
MEDIA_WAIT_S = 1.5  # fetching a picture or voice message before the message goes on
MAX_PASSIVE_BYTES = 2048  # longer answers go through the API
SEND_RETRY_DELAYS_S = (0.5, 1.5)  # a Retryable send is tried again after these, then reported undelivered
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


class CallbackLedger(Protocol):
    """Callbacks already taken, shared by every hub process (a retry must not be handled twice)."""

    async def claim(self, key: str, ttl_s: float) -> str | None:
        """None: the caller handles it. Else the first handler's reply ("" while it works on it)."""

    async def settle(self, key: str, reply: str, ttl_s: float) -> None: ...

    async def release(self, key: str) -> None:
        """The handler failed before the message was stored: a retry may take it."""


class UnknownAccount(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    body: str
    content_type: str = TEXT


@dataclass(slots=True)
class _Held:
    """What the hub says to a follower while their callback's reply budget lasts: the passive reply."""

    items: list[OutboundMessage] = field(default_factory=list)
    open: bool = True


@dataclass(slots=True)
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


@dataclass(frozen=True, slots=True)
class _Callback:
    account: WeChatAccount
    envelope: Envelope
    encrypted: bool
    nonce: str


class WeChatConnector:
    channel = Channel.WECHAT
    features = Feature.PUSH_API

    def __init__(self, accounts: Sequence[WeChatAccount], hub: PushHub, tokens: TokenCache,
                 ledger: CallbackLedger, clock: Callable[[], float] = time.time) -> None:
        self._accounts = {account.id: account for account in accounts}
        self._hub = hub
        self._ledger = ledger
        self._clock = clock
        self._clients = {a.appid: WeChatClient(a.appid, a.secret, a.api_base, tokens=tokens) for a in accounts}
        self._crypto = {a.id: WeChatCrypto(a.token, a.encoding_aes_key, a.appid)
                        for a in accounts if a.encoding_aes_key is not None}
        self._held: dict[str, _Held] = {}  # by follower address
        self._tails: dict[str, asyncio.Task[Delivery]] = {}  # each follower's last queued API send
        self._turns: dict[str, _Turn] = {}  # a follower's callbacks, one at a time
        self._background: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pending = [*self._background, *self._tails.values()]
        if pending:
            await asyncio.wait(pending, timeout=5.0)
        for client in self._clients.values():
            await client.aclose()

    # ----- callbacks ----------------------------------------------------------------------------
    def verify(self, account_id: str, query: Mapping[str, str]) -> HttpReply:
        """GET: WeChat checks the URL when it is configured (we echo ``echostr`` if the signature holds)."""
        try:
            account = self._account(account_id)
            check_timestamp(query.get("timestamp", ""), self._clock())
            check_url_signature(account.token, query.get("signature", ""), query.get("timestamp", ""),
                                query.get("nonce", ""))
        except UnknownAccount:
            return HttpReply(404, "unknown WeChat account")
        except CallbackRejected as exc:
            return HttpReply(403, str(exc))
        return HttpReply(200, query.get("echostr", ""))

    async def callback(self, account_id: str, query: Mapping[str, str], body: bytes) -> HttpReply:
        """POST: a message or an event. Bad signatures, stale timestamps, unknown appids and bodies we
        cannot read are refused before anything is stored or claimed."""
        try:
            call = self._open(self._account(account_id), query, body)
        except UnknownAccount:
            return HttpReply(404, "unknown WeChat account")
        except CallbackRejected as exc:
            return HttpReply(403, str(exc))
        except PayloadError as exc:
            return HttpReply(400, exc.detail)
        key = f"{call.account.appid}:{dedupe_key(call.envelope)}"
        seen = await self._ledger.claim(key, LEDGER_TTL_S)
        if seen is not None:  # a retry: the first one's reply, or "success" while it is still at work
            return HttpReply(200, seen or SUCCESS, XML if seen.startswith("<xml>") else TEXT)
        try:
            reply = await self._handle(call.account, call.envelope)
        except Exception:
            await self._ledger.release(key)
            log.exception("WeChat callback for %s could not be handled; WeChat will retry", call.account.id)
            return HttpReply(503, "the message could not be taken now; it will be retried")
        sealed = self._seal(call, reply) if reply is not None else SUCCESS
        await self._ledger.settle(key, sealed, LEDGER_TTL_S)
        return HttpReply(200, sealed, XML if reply is not None else TEXT)

    def _account(self, account_id: str) -> WeChatAccount:
        account = self._accounts.get(account_id)
        if account is None:
            raise UnknownAccount(account_id)
        return account

    def _open(self, account: WeChatAccount, query: Mapping[str, str], body: bytes) -> _Callback:
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        check_timestamp(timestamp, self._clock())
        encrypted = query.get("encrypt_type", "raw").lower() == "aes"
        if encrypted and account.mode == "plain":
            raise CallbackRejected("this account does not use message encryption")
        if not encrypted and account.mode == "safe":
            raise CallbackRejected("this account accepts encrypted messages only")
        if not encrypted:
            check_url_signature(account.token, query.get("signature", ""), timestamp, nonce)
            return _Callback(account, parse_callback(body), False, nonce)
        sealed = parse_encrypted(body).encrypt
        plain = self._crypto[account.id].decrypt(sealed, query.get("msg_signature", ""), timestamp, nonce)
        return _Callback(account, parse_callback(plain), True, nonce)

    def _seal(self, call: _Callback, reply: str) -> str:
        if not call.encrypted:
            return reply
        timestamp = str(int(self._clock()))
        sealed, signature = self._crypto[call.account.id].encrypt(reply, call.nonce, timestamp)
        return encrypted_reply(sealed, signature, timestamp, call.nonce)

    async def _handle(self, account: WeChatAccount, envelope: Envelope) -> str | None:
        """The passive reply's XML (unsealed), or None for ``success``."""
        openid = envelope.from_user
        to = address(account.appid, openid)
        match envelope:
            case Image() | Voice(recognition=None):
                started = time.monotonic()
                kept = await self._keep_media(account, envelope)
                return await self._converse(account, envelope, lambda c, k: inbound(envelope, c, k, kept),
                                            spent=time.monotonic() - started)
            case Message() | Unknown(event=None):
                return await self._converse(account, envelope, lambda c, k: inbound(envelope, c, k))
            case Subscribe(scene=scene):
                session = await self._hub.contact_session(Channel.WECHAT, to, account.locale, {
                    "wechat_subscribed": "yes", **({"wechat_scene": scene} if scene else {})})
                if session.created and account.fetch_profile:
                    self._later(self._profile(account, openid))
                return text_reply(openid, envelope.to_user, account.welcome, int(self._clock()))
            case Unsubscribe():
                await self._hub.contact_session(Channel.WECHAT, to, account.locale, {"wechat_subscribed": "no"})
            case Scan(scene=scene):
                await self._hub.contact_session(Channel.WECHAT, to, account.locale, {"wechat_scene": scene})
            case Click(key=key) if key in account.menu:
                action = account.menu[key]
                return await self._converse(account, envelope, lambda c, k: menu_inbound(
                    key, action.text, action.queue, c, k))
            case _:  # VIEW, LOCATION reports, menu keys and events we have nothing for
                log.info("WeChat %s: %s from %s, nothing to do", account.id,
                         getattr(envelope, "event", None) or envelope.msg_type, to)
        return None

    async def _converse(self, account: WeChatAccount, envelope: Envelope,
                        make: Callable[[str, str], InboundMessage], spent: float = 0.0) -> str | None:
        """Hand the follower's message to the hub, and hold what it answers for the passive reply while the
        budget lasts."""
        to = address(account.appid, envelope.from_user)
        async with self._turn(to):
            session = await self._hub.contact_session(Channel.WECHAT, to, account.locale)
            if session.created and account.fetch_profile:
                self._later(self._profile(account, envelope.from_user))
            held = self._held[to] = _Held()
            stored = asyncio.Event()
            work = asyncio.create_task(self._hub.receive(make(session.conversation_id, session.contact_id),
                                                         on_stored=lambda _: stored.set()))
            budget = max(0.0, account.reply_budget_s - spent)  # what fetching media took counts too
            done, _ = await asyncio.wait({work}, timeout=budget)
            held.open = False
            self._held.pop(to, None)
            if work in done:
                work.result()  # a failure: the caller lets WeChat retry
                return self._passive(account, envelope, held)
            self._flush(held)
            self._later(self._finish(work, to))
            await self._stored_by(stored, work, STORED_BY_S - spent - budget)
            return None

    @contextlib.asynccontextmanager
    async def _turn(self, to: str) -> AsyncIterator[None]:
        """One callback of a follower at a time (their messages stay in order); the lock lives while used."""
        entry = self._turns.setdefault(to, _Turn())
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._turns[to]

    @staticmethod
    async def _stored_by(stored: asyncio.Event, work: asyncio.Task[object], seconds: float) -> None:
        """Answer ``success`` only for a stored message: wait for the commit (not the rest of the work) up to
        WeChat's own limit; TimeoutError when it did not come (WeChat then retries)."""
        if not stored.is_set():
            waiter = asyncio.ensure_future(stored.wait())
            await asyncio.wait({waiter, work}, timeout=max(0.0, seconds), return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
        if not stored.is_set():
            raise TimeoutError("the message was not stored in time")

    def _passive(self, account: WeChatAccount, envelope: Envelope, held: _Held) -> str | None:
        text = "\n\n".join(item.text for item in held.items)
        if not text:
            return None
        if len(text.encode("utf-8")) > MAX_PASSIVE_BYTES:
            self._flush(held)
            return None
        return text_reply(envelope.from_user, envelope.to_user, text, int(self._clock()))

    async def _finish(self, work: asyncio.Task[object], to: str) -> None:
        try:
            await work
        except Exception:
            log.exception("WeChat: the hub's work on a message from %s failed after the reply budget", to)

    async def _keep_media(self, account: WeChatAccount, message: Image | Voice) -> dict[str, str]:
        """A picture's or a voice message's bytes, kept as an attachment before WeChat's copy expires (3 days):
        for the agent, and for the voice pipeline. Best effort within a short bound: the message goes on
        without it."""
        to = address(account.appid, message.from_user)
        try:
            session = await self._hub.contact_session(Channel.WECHAT, to, account.locale)
            media = await asyncio.wait_for(self._clients[account.appid].download_media(message.media_id),
                                           MEDIA_WAIT_S)
            name = f"{message.msg_type}-{message.msg_id}.{'amr' if isinstance(message, Voice) else 'jpg'}"
            kept = await self._hub.keep_file(session.contact_id, media.data, name)
        except Exception as exc:  # a lost attachment must not lose the message
            log.warning("WeChat %s: media %s not kept (%s)", account.id, message.media_id, type(exc).__name__)
            return {}
        return {"file_id": kept.id, "file_name": kept.name, "content_type": kept.content_type,
                "size": str(kept.size)}

    async def _profile(self, account: WeChatAccount, openid: str) -> None:
        info = await self._clients[account.appid].user_info(openid)
        if info is not None:
            found = {"wechat_nickname": info.nickname, "wechat_avatar": info.headimgurl}
            await self._hub.contact_session(Channel.WECHAT, address(account.appid, openid), account.locale,
                                            {k: v for k, v in found.items() if v}, name=info.nickname or None)

    def _later(self, work: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception:
                log.exception("WeChat background work failed")

        task = asyncio.create_task(guarded())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ----- sending ------------------------------------------------------------------------------
    async def send(self, outbound: OutboundMessage) -> Delivery:
        """Into the passive reply while the follower's callback waits for one, else through the API."""
        held = self._held.get(outbound.to)
        if held is not None and held.open and not _picture(outbound):  # a passive reply carries text only
            held.items.append(outbound)
            return Delivery(message_id=outbound.message_id, delivered=True, detail="in the passive reply")
        return await self._queue(outbound)

    def _flush(self, held: _Held) -> None:
        """Messages held for a passive reply that will not be made: through the API, in order; what fails is
        reported to the hub (it counted them delivered)."""
        for item in held.items:
            self._later(self._report(item))

    async def _report(self, outbound: OutboundMessage) -> None:
        delivery = await self._queue(outbound)
        if not delivery.delivered:
            await self._hub.undelivered(outbound.conversation_id, delivery)

    def _queue(self, outbound: OutboundMessage) -> asyncio.Task[Delivery]:
        """Send after this follower's previous message (queued synchronously, so order is kept)."""
        previous = self._tails.get(outbound.to)
        task = asyncio.create_task(self._send_after(previous, outbound))
        self._tails[outbound.to] = task
        task.add_done_callback(lambda done: self._tails.pop(outbound.to, None)
                               if self._tails.get(outbound.to) is done else None)
        return task

    async def _send_after(self, previous: asyncio.Task[Delivery] | None, outbound: OutboundMessage) -> Delivery:
        if previous is not None:
            await asyncio.wait([previous])
        return await self._send_now(outbound)

    async def _send_now(self, outbound: OutboundMessage) -> Delivery:
        appid, openid = openid_of(outbound.to)
        client = self._clients.get(appid)
        if client is None:
            return self._failed(outbound, "unknown_account", "no WeChat account with this appid is configured")
        for delay in (*SEND_RETRY_DELAYS_S, None):
            try:
                await self._deliver(client, openid, outbound)
                return Delivery(message_id=outbound.message_id, delivered=True)
            except Retryable:
                if delay is None:
                    return self._failed(outbound, "unavailable", "WeChat did not take the message (tried 3 times)")
                await asyncio.sleep(delay)
            except AuthFailed:
                return self._failed(outbound, "auth_failed", "WeChat refused the hub's credentials for this account")
            except WeChatRejected as exc:
                return self._failed(outbound, exc.reason, str(exc))
        raise AssertionError("unreachable")

    async def _deliver(self, client: WeChatClient, openid: str, outbound: OutboundMessage) -> None:
        """Text as a text message; a picture uploaded as temporary media and sent as an image (then its
        words, if the agent wrote any besides the file's caption)."""
        if not _picture(outbound):
            await client.send_text(openid, outbound.text)
            return
        meta, data = await self._hub.read_file(outbound.meta["file_id"])
        media_id = await client.upload_media("image", data, meta.name, meta.content_type)
        await client.send_image(openid, media_id)
        if not outbound.text.startswith("[image] "):
            await client.send_text(openid, outbound.text)

    @staticmethod
    def _failed(outbound: OutboundMessage, reason: str, detail: str) -> Delivery:
        return Delivery(message_id=outbound.message_id, delivered=False, reason=reason, detail=detail)


def _picture(outbound: OutboundMessage) -> bool:
    return bool(outbound.meta.get("file_id")) and outbound.meta.get("content_type", "").startswith("image/")
