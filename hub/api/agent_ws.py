"""The agent's websocket: offers, messages and status of their conversations, live; replies too.

Client frames: ``{"type":"message","conversation_id","text","client_id"?}`` (answered with ``ack``)
and ``{"type":"ping"}``. Everything else the hub pushes (offer, offer_withdrawn, message, status).
"""

from __future__ import annotations

import logging
from typing import Annotated

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from hub.api.deps import runtime_of, user_from_token
from hub.errors import HubError
from hub.flow import Outbox, TokenBucket
from hub.models import ConversationState, User
from hub.runtime import Runtime

log = logging.getLogger(__name__)


class AgentSay(msgspec.Struct, tag="message", tag_field="type", kw_only=True):
    conversation_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    text: str
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)] | None = None


class AgentPing(msgspec.Struct, tag="ping", tag_field="type"):
    pass


_decoder = msgspec.json.Decoder(AgentSay | AgentPing)
_encode = msgspec.json.Encoder().encode


def _frame(**fields: object) -> str:
    return _encode(fields).decode()


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
    outbox = Outbox(socket.send_text)
    outbox.start()
    await runtime.pipeline.watch_agent(user.id, outbox.push)
    try:
        assigned = await runtime.pipeline.conversations_of(user, [ConversationState.ASSIGNED])
        offers = await runtime.pipeline.pending_offers(user)
        outbox.push(_frame(type="welcome", agent_id=user.id, state=user.agent_state.value,
                           conversations=[c.id for c in assigned]))
        for offer in offers:  # still open from before this socket: a reloaded console must see them
            outbox.push(_encode(offer).decode())
        await _serve(runtime, user, socket, outbox)
    except WebSocketDisconnect:
        pass
    finally:
        await runtime.pipeline.unwatch_agent(user.id, outbox.push)
        await outbox.close()


async def _serve(runtime: Runtime, user: User, socket: WebSocket, outbox: Outbox) -> None:
    bucket = TokenBucket(runtime.settings.ws_rate_per_s, runtime.settings.ws_burst)
    while not outbox.overflowed:
        raw = await socket.receive_text()
        if not bucket.take():
            outbox.push(_frame(type="error", code="rate_limited", detail="too many frames; slow down"))
            continue
        outbox.push(await _answer(runtime, user, raw))


async def _answer(runtime: Runtime, user: User, raw: str) -> str:
    try:
        frame = _decoder.decode(raw)
    except msgspec.DecodeError as exc:
        return _frame(type="error", code="bad_frame", detail=str(exc)[:200])
    if isinstance(frame, AgentPing):
        return _frame(type="pong")
    try:
        event = await runtime.pipeline.agent_message(user, frame.conversation_id, frame.text, frame.client_id)
    except HubError as exc:
        return _frame(type="error", code=exc.code, detail=exc.detail, client_id=frame.client_id)
    except Exception:
        log.exception("agent message failed")
        return _frame(type="error", code="internal_error", detail="something went wrong on our side; resend",
                      client_id=frame.client_id)
    return _frame(type="ack", client_id=frame.client_id, id=event.id, conversation_id=frame.conversation_id)
