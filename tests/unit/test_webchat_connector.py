"""The web chat session loop against an in-memory socket and a hub that fails on cue."""

from __future__ import annotations

import asyncio
import json

from connectors.webchat.connector import WebchatConnector
from hub.envelopes import ChatHub, InboundMessage, Receipt, Session, StatusEvent
from hub.models import ConversationState


class Closed(Exception):
    pass


class MemorySocket:
    def __init__(self) -> None:
        self.incoming: asyncio.Queue[str | None] = asyncio.Queue()
        self.sent: asyncio.Queue[dict] = asyncio.Queue()

    async def receive_text(self) -> str:
        frame = await self.incoming.get()
        if frame is None:
            raise Closed
        return frame

    async def send_text(self, data: str) -> None:
        await self.sent.put(json.loads(data))

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self.incoming.put(None)


class FlakyHub:
    """Watching fails the first time (as when Redis does not confirm in time), then works."""

    def __init__(self) -> None:
        self.watch_failures = 1
        self.watching: list[str] = []

    async def open_session(self, channel, token, name, locale, after_seq=0, known_conversation_id=None) -> Session:
        return Session(conversation_id="c1", contact_id="k1", token="t1", history=[],
                       status=StatusEvent(conversation_id="c1", state=ConversationState.BOT))

    async def receive(self, inbound: InboundMessage, on_stored=None) -> Receipt:
        return Receipt(message_id="m1", conversation_id=inbound.conversation_id, created=True)

    async def watch(self, conversation_id, handler) -> None:
        if self.watch_failures:
            self.watch_failures -= 1
            raise TimeoutError
        self.watching.append(conversation_id)

    async def unwatch(self, conversation_id, handler) -> None:
        if conversation_id in self.watching:
            self.watching.remove(conversation_id)


async def test_a_failed_hello_is_answered_and_the_socket_keeps_working() -> None:
    hub = FlakyHub()
    socket = MemorySocket()
    hub_protocol: ChatHub = hub
    serving = asyncio.create_task(WebchatConnector(hub_protocol).serve(socket))
    await socket.incoming.put('{"type":"hello","token":null}')
    failed = await asyncio.wait_for(socket.sent.get(), 2)
    assert failed["type"] == "error" and failed["code"] == "internal_error"
    await socket.incoming.put('{"type":"ping"}')
    assert (await asyncio.wait_for(socket.sent.get(), 2))["type"] == "pong"
    await socket.incoming.put('{"type":"hello","token":null}')
    assert (await asyncio.wait_for(socket.sent.get(), 2))["type"] == "welcome"
    await socket.incoming.put('{"type":"message","client_id":"x","text":"hi"}')
    assert (await asyncio.wait_for(socket.sent.get(), 2))["type"] == "status"
    assert (await asyncio.wait_for(socket.sent.get(), 2))["type"] == "ack"
    await socket.incoming.put(None)
    try:
        await asyncio.wait_for(serving, 2)
    except Closed:
        pass
    assert hub.watching == []  # closing unwatched everything, the failed attempt included


class ChangingHub(FlakyHub):
    """The agent puts the customer on hold between the hello's first read and its watch."""

    def __init__(self) -> None:
        super().__init__()
        self.watch_failures = 0
        self.reads = 0

    async def open_session(self, channel, token, name, locale, after_seq=0, known_conversation_id=None) -> Session:
        self.reads += 1
        held = self.reads > 1
        return Session(conversation_id="c1", contact_id="k1", token="t1", history=[],
                       status=StatusEvent(conversation_id="c1", state=ConversationState.ASSIGNED, on_hold=held))


async def test_a_resumed_session_gets_the_status_as_of_after_it_follows_the_conversation() -> None:
    socket = MemorySocket()
    serving = asyncio.create_task(WebchatConnector(ChangingHub()).serve(socket))
    await socket.incoming.put('{"type":"hello","token":"t1"}')
    assert (await asyncio.wait_for(socket.sent.get(), 2))["type"] == "welcome"
    status = await asyncio.wait_for(socket.sent.get(), 2)
    assert status["type"] == "status" and status["on_hold"] is True
    await socket.incoming.put(None)
    try:
        await asyncio.wait_for(serving, 2)
    except Closed:
        pass
