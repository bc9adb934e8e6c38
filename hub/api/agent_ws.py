"""The agent's websocket: offers, messages and status of their conversations, live; replies too.

Client frames: ``{"type":"message","conversation_id","text","client_id"?}`` (answered with ``ack``),
``{"type":"ping"}``, ``{"type":"typing","conversation_id"}`` (the customer sees the agent typing; no answer), and
for supervisors and admins ``{"type":"monitor"|"unmonitor","conversation_id"}`` (silent monitoring: every event
of that conversation, answered with ``monitoring``/``unmonitored``; at most ``MAX_MONITORED`` at once, past which
the answer is an error, ``too_many_monitored``). Everything else the hub pushes (offer,
offer_withdrawn, message, status, suggestions, agent_state, typing, undelivered).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from hub.api.deps import runtime_of, user_from_token
from hub.envelopes import StatusEvent
from hub.errors import Conflict, Forbidden, HubError
from hub.flow import Outbox, TokenBucket, close_all
from hub.models import MANAGER_ROLES, ConversationState, User
from hub.pipeline import Pipeline
from hub.runtime import Runtime

log = logging.getLogger(__name__)
MAX_MONITORED = 20  # conversations one supervisor socket follows at once


class AgentSay(msgspec.Struct, tag="message", tag_field="type", kw_only=True):
    conversation_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    text: str
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)] | None = None


class AgentPing(msgspec.Struct, tag="ping", tag_field="type"):
    pass


class Monitor(msgspec.Struct, tag="monitor", tag_field="type"):
    """A supervisor follows a conversation live (silent monitoring)."""

    conversation_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class Unmonitor(msgspec.Struct, tag="unmonitor", tag_field="type"):
    conversation_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class AgentTyping(msgspec.Struct, tag="typing", tag_field="type"):
    """The agent is typing in this conversation (unanswered; sent at most every few seconds)."""

    conversation_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


_decoder = msgspec.json.Decoder(AgentSay | AgentPing | Monitor | Unmonitor | AgentTyping)
_status_decoder = msgspec.json.Decoder(StatusEvent)
_encode = msgspec.json.Encoder().encode


def _frame(**fields: object) -> str:
    return _encode(fields).decode()


class AgentFeed:
    """What one agent socket follows: the agent's own channel (offers, new assignments) and the
    channels of the conversations assigned to them (messages, status), each event once."""

    def __init__(self, pipeline: Pipeline, user: User, outbox: Outbox) -> None:
        self._pipeline = pipeline
        self._user = user
        self._outbox = outbox
        self._following: set[str] = set()
        self._monitoring: set[str] = set()
        self._changes: asyncio.Queue[tuple[str, int | None]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> list[str]:
        await self._pipeline.watch_agent(self._user.id, self._on_agent_event)
        if self._user.role in MANAGER_ROLES:
            await self._pipeline.watch_queues(self._outbox.push)
        assigned = await self._pipeline.conversations_of(self._user, [ConversationState.ASSIGNED])
        for conversation in assigned:
            await self._follow(conversation.id, None)
        self._worker = asyncio.create_task(self._apply_changes(), name="agent-feed")
        return [c.id for c in assigned]

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.wait([self._worker])
        await self._pipeline.unwatch_agent(self._user.id, self._on_agent_event)
        if self._user.role in MANAGER_ROLES:
            await self._pipeline.unwatch_queues(self._outbox.push)
        for conversation_id in list(self._following):
            await self._pipeline.unwatch(conversation_id, self._on_conversation_event)
        for conversation_id in list(self._monitoring):
            await self._pipeline.unwatch(conversation_id, self._outbox.push)

    async def monitor(self, conversation_id: str) -> None:
        """Silent monitoring: every event of the conversation, for a supervisor or admin."""
        if self._user.role not in MANAGER_ROLES:
            raise Forbidden("only supervisors and admins monitor conversations", code="role_forbidden")
        await self._pipeline.store.get_conversation(conversation_id)  # NotFound for an unknown one
        if conversation_id in self._monitoring:
            return
        if len(self._monitoring) >= MAX_MONITORED:
            raise Conflict(f"one console monitors at most {MAX_MONITORED} conversations; stop one first",
                           code="too_many_monitored")
        self._monitoring.add(conversation_id)
        await self._pipeline.watch(conversation_id, self._outbox.push)

    async def unmonitor(self, conversation_id: str) -> None:
        if conversation_id in self._monitoring:
            self._monitoring.discard(conversation_id)
            await self._pipeline.unwatch(conversation_id, self._outbox.push)

    def _on_agent_event(self, data: str) -> None:
        self._outbox.push(data)
        status = _status_of(data)
        if status is not None and status.state is ConversationState.ASSIGNED:
            self._changes.put_nowait((status.conversation_id, status.last_seq or 0))

    def _on_conversation_event(self, data: str) -> None:
        status = _status_of(data)
        if status is not None and status.state is ConversationState.ASSIGNED:
            return  # the agent's own channel told them already
        self._outbox.push(data)
        if status is not None:
            self._changes.put_nowait((status.conversation_id, None))  # no longer theirs: stop following

    async def _apply_changes(self) -> None:
        while True:
            conversation_id, catch_up_from = await self._changes.get()
            if catch_up_from is None:
                if conversation_id in self._following:
                    self._following.discard(conversation_id)
                    await self._pipeline.unwatch(conversation_id, self._on_conversation_event)
            elif conversation_id not in self._following:
                await self._follow(conversation_id, catch_up_from)

    async def _follow(self, conversation_id: str, catch_up_from: int | None) -> None:
        self._following.add(conversation_id)
        await self._pipeline.watch(conversation_id, self._on_conversation_event)
        if catch_up_from is not None:  # what arrived between the assignment and following it
            for message in await self._pipeline.store.messages(conversation_id, catch_up_from):
                self._outbox.push(_encode(await self._pipeline.message_event(message)).decode())


def _status_of(data: str) -> StatusEvent | None:
    if not data.startswith('{"type":"status"'):
        return None
    return _status_decoder.decode(data)


@websocket("/ws/agent")
async def agent_socket(socket: WebSocket, token: str | None = None) -> None:
    runtime = runtime_of(socket)
    await socket.accept()
    try:
        user = await user_from_token(runtime, token)
    except HubError as exc:
        await socket.send_text(_frame(type="error", code=exc.code, detail=exc.detail))
        await socket.close(code=4401)
        return
    outbox = Outbox(socket.send_text, close=socket.close)
    outbox.start()
    feed = AgentFeed(runtime.pipeline, user, outbox)
    presence = await runtime.pipeline.presence.join(user.id)
    try:
        outbox.hold()
        conversations = await feed.start()
        offers = await runtime.pipeline.pending_offers(user)
        # offers still open from before this socket come after the welcome: a reloaded console sees them
        outbox.release(_frame(type="welcome", agent_id=user.id, state=user.agent_state.value,
                              conversations=conversations), *(_encode(offer).decode() for offer in offers))
        await _serve(runtime, user, socket, outbox, feed)
    except WebSocketDisconnect:
        pass
    finally:
        await close_all(outbox.close(), feed.stop(), runtime.pipeline.presence.leave(presence))


async def _serve(runtime: Runtime, user: User, socket: WebSocket, outbox: Outbox, feed: AgentFeed) -> None:
    bucket = TokenBucket(runtime.settings.ws_rate_per_s, runtime.settings.ws_burst)
    while not outbox.overflowed:
        raw = await socket.receive_text()
        if not bucket.take():
            outbox.push(_frame(type="error", code="rate_limited", detail="too many frames; slow down"))
            continue
        answer = await _answer(runtime, user, raw, feed)
        if answer:
            outbox.push(answer)


async def _answer(runtime: Runtime, user: User, raw: str, feed: AgentFeed) -> str:
    try:
        frame = _decoder.decode(raw)
    except msgspec.DecodeError as exc:
        return _frame(type="error", code="bad_frame", detail=str(exc)[:200])
    except RecursionError:
        return _frame(type="error", code="bad_frame", detail="the frame is nested too deeply")
    if isinstance(frame, AgentPing):
        return _frame(type="pong")
    if isinstance(frame, AgentTyping):
        try:
            await runtime.pipeline.agent_typing(user, frame.conversation_id)
        except HubError as exc:
            return _frame(type="error", code=exc.code, detail=exc.detail)
        return ""
    if isinstance(frame, Monitor | Unmonitor):
        try:
            await (feed.monitor if isinstance(frame, Monitor) else feed.unmonitor)(frame.conversation_id)
        except HubError as exc:
            return _frame(type="error", code=exc.code, detail=exc.detail)
        return _frame(type="monitoring" if isinstance(frame, Monitor) else "unmonitored",
                      conversation_id=frame.conversation_id)
    try:
        event = await runtime.pipeline.work.agent_message(user, frame.conversation_id, frame.text, frame.client_id)
    except HubError as exc:
        return _frame(type="error", code=exc.code, detail=exc.detail, client_id=frame.client_id)
    except Exception:
        log.exception("agent message failed")
        return _frame(type="error", code="internal_error", detail="something went wrong on our side; resend",
                      client_id=frame.client_id)
    return _frame(type="ack", client_id=frame.client_id, id=event.id, conversation_id=frame.conversation_id)
