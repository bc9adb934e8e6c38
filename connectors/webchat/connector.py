"""The web chat connector: one websocket session, frames in, hub calls, frames out.

Every frame gets an answer: ``welcome``, ``ack``, ``pong`` or an ``error`` in the protocol's own
terms. A bad frame never closes the socket, and an ``ack`` is sent only after the store committed
the message. Live events (messages, status) arrive through the hub's ``watch`` and leave through the
same ordered outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field

import msgspec

from connectors.base import Feature, TextSocket
from connectors.webchat.payloads import (
    Ack,
    ErrorFrame,
    FeedbackReceived,
    Hello,
    Ping,
    Pong,
    ProtocolError,
    Rate,
    Say,
    Survey,
    SurveyReceived,
    Typing,
    Welcome,
    client_id_of,
    decode_frame,
    encode,
)
from hub.envelopes import ChatHub, InboundMessage, MessageEvent, Receipt, Session, StatusEvent, TypingEvent
from hub.errors import HubError, NotFound
from hub.flow import Outbox, TokenBucket, close_all
from hub.models import Channel, Role

log = logging.getLogger(__name__)
# How the customer's own typing event begins and ends, whatever its conversation.
_TYPING = tuple(msgspec.json.encode(TypingEvent(conversation_id="", role=Role.CUSTOMER)).decode().split('"",'))


@dataclass(slots=True)
class Limits:
    max_text_bytes: int = 4096
    rate_per_s: float = 20.0
    burst: int = 40


@dataclass(slots=True)
class _Connection:
    outbox: Outbox
    bucket: TokenBucket
    session: Session | None = None
    conversation_id: str | None = None
    watching: list[str] = field(default_factory=list)

    def send(self, frame: msgspec.Struct) -> None:
        self.outbox.push(encode(frame).decode())

    def deliver(self, raw: str) -> None:
        """An event of a conversation this socket follows; not the customer's own typing (that is for the
        agent), told apart by its text rather than by decoding every event."""
        if not (raw.startswith(_TYPING[0]) and raw.endswith(_TYPING[1])):
            self.outbox.push(raw)

    def error(self, code: str, detail: str, client_id: str | None = None) -> None:
        self.send(ErrorFrame(code=code, detail=detail, client_id=client_id))


class WebchatConnector:
    channel = Channel.WEBCHAT
    features = Feature.REALTIME

    def __init__(self, hub: ChatHub, limits: Limits | None = None) -> None:
        self._hub = hub
        self._limits = limits or Limits()

    async def start(self) -> None:
        """Nothing to set up: customers connect to us."""

    async def stop(self) -> None:
        """Sockets end with the server."""

    async def serve(self, socket: TextSocket) -> None:
        """Run one customer's socket until it closes (the socket's receive raises)."""
        outbox = Outbox(socket.send_text, close=socket.close)
        conn = _Connection(outbox, TokenBucket(self._limits.rate_per_s, self._limits.burst))
        conn.outbox.start()
        try:
            while not conn.outbox.overflowed:
                await self._handle(conn, await socket.receive_text())
        finally:
            await close_all(conn.outbox.close(),
                            *(self._hub.unwatch(c, conn.deliver) for c in conn.watching))

    async def _handle(self, conn: _Connection, raw: str) -> None:
        if not conn.bucket.take():
            conn.error("rate_limited", "too many frames; slow down and resend", client_id_of(raw))
            return
        try:
            await self._dispatch(conn, decode_frame(raw))
        except ProtocolError as exc:
            conn.error(exc.code, exc.detail, client_id_of(raw))
        except HubError as exc:
            conn.error(exc.code, exc.detail, client_id_of(raw))
        except Exception:
            log.exception("webchat: frame failed")
            conn.error("internal_error", "something went wrong on our side; please resend", client_id_of(raw))

    async def _dispatch(self, conn: _Connection, frame: msgspec.Struct) -> None:
        if isinstance(frame, Hello):
            await self._hello(conn, frame)
        elif isinstance(frame, Say):
            await self._say(conn, frame)
        elif isinstance(frame, Rate):
            await self._rate(conn, frame)
        elif isinstance(frame, Survey):
            await self._survey(conn, frame)
        elif isinstance(frame, Typing) and conn.conversation_id is not None:
            await self._hub.typing(conn.conversation_id)
        elif isinstance(frame, Ping):
            conn.send(Pong())

    async def _hello(self, conn: _Connection, hello: Hello) -> None:
        if conn.session is not None:
            raise ProtocolError("already_started", "this socket has a session already")
        session = await self._hub.open_session(self.channel, hello.token, hello.name, hello.locale,
                                               hello.after_seq, hello.conversation_id)
        conn.outbox.hold()
        try:
            history, status = await self._follow_with_history(conn, hello, session)
        except BaseException:
            conn.outbox.release()  # the error frame must get out, and everything after it
            raise
        conn.session = session
        welcome = Welcome(conversation_id=session.conversation_id, token=session.token, history=history)
        conn.outbox.release(encode(welcome).decode(), encode(status).decode())

    async def _follow_with_history(self, conn: _Connection, hello: Hello,
                                   session: Session) -> tuple[list[MessageEvent], StatusEvent]:
        """The session's history and status as of after the socket began to follow the conversation (so
        no change between reading them and watching is lost)."""
        await self._follow(conn, session.conversation_id)
        history, status = session.history, session.status
        if hello.token is not None:  # catch up with what arrived between reading history and watching
            same = hello.conversation_id in (None, session.conversation_id)
            last = history[-1].seq if history else (hello.after_seq if same else 0)
            later = await self._hub.open_session(self.channel, session.token, None, None, last,
                                                 session.conversation_id)
            history = [*history, *(m for m in later.history if m.seq > last)]
            if later.conversation_id == session.conversation_id:
                status = later.status
        return history, status

    async def _follow(self, conn: _Connection, conversation_id: str) -> None:
        conn.watching.append(conversation_id)  # first, so that closing unwatches even a half-made watch
        await self._hub.watch(conversation_id, conn.deliver)
        conn.conversation_id = conversation_id

    async def _move(self, conn: _Connection, conversation_id: str) -> None:
        """Follow ``conversation_id`` instead of the conversations followed so far (the ``moved`` event the
        hub sends on the old one is for the customer's other sessions, not this one)."""
        old = list(conn.watching)
        await self._follow(conn, conversation_id)
        conn.watching = [conversation_id]
        await close_all(*(self._hub.unwatch(c, conn.deliver) for c in old))

    def _check_text(self, text: str, attached: bool = False) -> None:
        if not text.strip() and not attached:
            raise ProtocolError("empty_text", "the message has no text")
        if len(text.encode()) > self._limits.max_text_bytes:
            raise ProtocolError("text_too_long", f"text is limited to {self._limits.max_text_bytes} bytes")

    async def _say(self, conn: _Connection, say: Say) -> None:
        if conn.session is None or conn.conversation_id is None:
            raise ProtocolError("hello_required", "send a hello frame first")
        self._check_text(say.text, attached=say.file_id is not None)
        text, meta = say.text, {}
        if say.file_id is not None:
            try:
                attached = await self._hub.attachment(conn.session.contact_id, say.file_id)
            except NotFound:
                raise ProtocolError("unknown_file", "no file with this id was uploaded in this chat") from None
            meta = {"file_id": attached.id, "file_name": attached.name, "content_type": attached.content_type,
                    "size": str(attached.size)}
            kind = "image" if attached.content_type.startswith("image/") else "file"
            text = say.text.strip() or f"[{kind}] {attached.name}"
        def follow(receipt: Receipt) -> Awaitable[None] | None:
            """The old conversation was closed and a new one began (or another session of the customer's began
            it): watch it before its first events go out, and no longer the old one (a resend of an earlier
            message, stored in some older conversation, moves nothing)."""
            if receipt.created and receipt.conversation_id not in conn.watching:
                return self._move(conn, receipt.conversation_id)
            return None

        receipt = await self._hub.receive(InboundMessage(
            channel=self.channel, conversation_id=conn.conversation_id, text=text,
            external_id=f"{conn.session.contact_id}:{say.client_id}", client_id=say.client_id,
            contact_id=conn.session.contact_id, meta=meta, readable=bool(say.text.strip())), on_stored=follow)
        conn.send(Ack(client_id=say.client_id, id=receipt.message_id, conversation_id=receipt.conversation_id))

    async def _rate(self, conn: _Connection, rate: Rate) -> None:
        if conn.session is None or conn.conversation_id is None:
            raise ProtocolError("hello_required", "send a hello frame first")
        await self._hub.feedback(conn.conversation_id, rate.message_id, rate.helpful, rate.comment)
        conn.send(FeedbackReceived(message_id=rate.message_id))

    async def _survey(self, conn: _Connection, survey: Survey) -> None:
        if conn.session is None or conn.conversation_id is None:
            raise ProtocolError("hello_required", "send a hello frame first")
        await self._hub.rate_conversation(conn.conversation_id, survey.rating, survey.comment)
        conn.send(SurveyReceived(conversation_id=conn.conversation_id, rating=survey.rating))
