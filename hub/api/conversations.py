"""Conversations as agents work them: list, read, accept or decline an offer, reply, hold, transfer, resolve."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import Parameter

from hub.api.deps import current_user, require, runtime_of
from hub.envelopes import MessageEvent, SuggestionsEvent
from hub.errors import Forbidden
from hub.models import MANAGER_ROLES, STORE_INT_MAX, Conversation, ConversationState, User, iso

S = ConversationState


class ReplyIn(msgspec.Struct):
    text: str = ""
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)] | None = None
    file_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None  # POST .../files first


class WhisperIn(msgspec.Struct, forbid_unknown_fields=True):
    text: str


class ResolveIn(msgspec.Struct, forbid_unknown_fields=True):
    wrap_up_code: str | None = None
    note: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class TransferIn(msgspec.Struct, forbid_unknown_fields=True):
    queue_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None  # else its own queue
    agent_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None  # waited for first


class ConversationOut(msgspec.Struct):
    id: str
    contact_id: str
    contact_name: str | None
    channel: str
    state: str
    agent_id: str | None
    handoff_reason: str | None
    created_at: str
    queued_at: str | None
    resolved_at: str | None
    csat: int | None = None  # the customer's 1-5 rating, once given
    csat_comment: str | None = None
    wrap_up_code: str | None = None
    wrap_up_note: str | None = None
    on_hold_since: str | None = None  # on hold since then (the agent's hold), else null
    held_s: float = 0.0  # time on hold so far


def _iso(value: datetime | None) -> str | None:
    return iso(value) if value else None


async def _out(request: Request, conversation: Conversation) -> ConversationOut:
    contact = await runtime_of(request).store.get_contact(conversation.contact_id)
    return ConversationOut(
        id=conversation.id, contact_id=conversation.contact_id, contact_name=contact.name,
        channel=conversation.channel.value, state=conversation.state.value, agent_id=conversation.agent_id,
        handoff_reason=conversation.handoff_reason, created_at=_iso(conversation.created_at) or "",
        queued_at=_iso(conversation.queued_at), resolved_at=_iso(conversation.resolved_at),
        csat=conversation.csat, csat_comment=conversation.csat_comment, wrap_up_code=conversation.wrap_up_code,
        wrap_up_note=conversation.wrap_up_note, on_hold_since=_iso(conversation.on_hold_since),
        held_s=conversation.held_s)


class ConversationController(Controller):
    path = "/api/conversations"
    dependencies = {"user": Provide(current_user)}

    async def _readable(self, request: Request, user: User, conversation_id: str,
                        via: str | None = None) -> Conversation:
        """A conversation the user may read: theirs (assigned or offered), any for managers, or, ``via`` one
        of theirs, an earlier conversation of the same customer (the screen pop)."""
        conversation = await runtime_of(request).store.get_conversation(conversation_id)
        offered_to = await runtime_of(request).pipeline.router.offer_of(conversation_id)
        if user.role in MANAGER_ROLES or user.id in (conversation.agent_id, offered_to):
            return conversation
        if via is not None and via != conversation_id and \
                (await self._readable(request, user, via)).contact_id == conversation.contact_id:
            return conversation
        raise Forbidden("this conversation is not assigned to you", code="not_assigned")

    @get("/")
    async def mine(self, request: Request, user: User) -> list[ConversationOut]:
        conversations = await runtime_of(request).pipeline.conversations_of(user, [S.ASSIGNED])
        return [await _out(request, c) for c in conversations]

    @get("/live")
    async def live(self, request: Request, user: User) -> list[ConversationOut]:
        """Every conversation an agent is working now (supervisors and admins: to monitor, whisper, barge in)."""
        require(user, MANAGER_ROLES, "live conversations are for supervisors and admins")
        conversations = await runtime_of(request).store.conversations_in_state(S.ASSIGNED)
        return [await _out(request, c) for c in conversations]

    @get("/{conversation_id:str}")
    async def one(self, request: Request, user: User, conversation_id: str) -> ConversationOut:
        return await _out(request, await self._readable(request, user, conversation_id))

    @get("/{conversation_id:str}/history")
    async def history(self, request: Request, user: User, conversation_id: str) -> list[ConversationOut]:
        """The customer's conversations on every channel, newest first, this one included (the screen pop);
        read one with ``GET /api/conversations/{id}/messages?via={this one}``."""
        conversation = await self._readable(request, user, conversation_id)
        earlier = await runtime_of(request).store.conversations_of_contact(conversation.contact_id)
        return [await _out(request, c) for c in earlier]

    @get("/{conversation_id:str}/messages")
    async def messages(
        self, request: Request, user: User, conversation_id: str,
        after: Annotated[int, Parameter(ge=0, le=STORE_INT_MAX)] = 0,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 500,
        via: str | None = None,
    ) -> list[MessageEvent]:
        conversation = await self._readable(request, user, conversation_id, via)
        pipeline = runtime_of(request).pipeline
        stored = await pipeline.store.messages(conversation.id, after, limit)
        return [await pipeline.message_event(m) for m in stored]

    @post("/{conversation_id:str}/accept", status_code=200)
    async def accept(self, request: Request, user: User, conversation_id: str) -> ConversationOut:
        return await _out(request, await runtime_of(request).pipeline.work.accept(user, conversation_id))

    @post("/{conversation_id:str}/decline", status_code=200)
    async def decline(self, request: Request, user: User, conversation_id: str) -> dict[str, str]:
        await runtime_of(request).pipeline.work.decline(user, conversation_id)
        return {"status": "declined"}

    @post("/{conversation_id:str}/messages", status_code=201)
    async def reply(self, request: Request, user: User, conversation_id: str, data: ReplyIn) -> MessageEvent:
        """The agent's reply. 403 ``not_assigned``: the conversation is not theirs; 409 ``not_assigned``: it was,
        and is no longer (resolved). Sent again with the same ``client_id``, it is stored once and answered with
        the stored message, after resolving too."""
        return await runtime_of(request).pipeline.work.agent_message(user, conversation_id, data.text, data.client_id,
                                                                data.file_id)

    @post("/{conversation_id:str}/whisper", status_code=201)
    async def whisper(self, request: Request, user: User, conversation_id: str, data: WhisperIn) -> MessageEvent:
        """A supervisor's private message to the agent working the conversation (the customer never sees it)."""
        return await runtime_of(request).pipeline.work.whisper(user, conversation_id, data.text)

    @post("/{conversation_id:str}/notes", status_code=201)
    async def note(self, request: Request, user: User, conversation_id: str, data: WhisperIn) -> MessageEvent:
        """An internal note (staff only; the customer never sees it) by the conversation's agent or a manager."""
        return await runtime_of(request).pipeline.work.note(user, conversation_id, data.text)

    @post("/{conversation_id:str}/resolve", status_code=200)
    async def resolve(self, request: Request, user: User, conversation_id: str,
                      data: ResolveIn | None = None) -> ConversationOut:
        """Close it; ``wrap_up_code`` (one of ``GET /api/desk/wrap-up-codes``) and ``note`` file it."""
        filed = data or ResolveIn()
        pipeline = runtime_of(request).pipeline
        return await _out(request, await pipeline.work.resolve(user, conversation_id, filed.wrap_up_code, filed.note))

    @post("/{conversation_id:str}/hold", status_code=200)
    async def hold(self, request: Request, user: User, conversation_id: str) -> ConversationOut:
        """Put the customer on hold (they are told to hold on); 409 ``already_on_hold``."""
        return await _out(request, await runtime_of(request).pipeline.work.hold(user, conversation_id))

    @post("/{conversation_id:str}/resume", status_code=200)
    async def resume(self, request: Request, user: User, conversation_id: str) -> ConversationOut:
        """Back from hold (replying also ends it); 409 ``not_on_hold``."""
        return await _out(request, await runtime_of(request).pipeline.work.resume(user, conversation_id))

    @post("/{conversation_id:str}/transfer", status_code=200)
    async def transfer(self, request: Request, user: User, conversation_id: str,
                       data: TransferIn | None = None) -> ConversationOut:
        """Back to waiting: in its queue or ``queue_id``, offered to ``agent_id`` first when given (404
        ``unknown_queue`` / ``unknown_agent``; 400 ``not_an_agent`` for a user who takes no conversations)."""
        target = data or TransferIn()
        pipeline = runtime_of(request).pipeline
        return await _out(request, await pipeline.work.transfer_to_queue(user, conversation_id, target.queue_id,
                                                                    target.agent_id))

    @post("/{conversation_id:str}/to-bot", status_code=200)
    async def to_bot(self, request: Request, user: User, conversation_id: str) -> ConversationOut:
        """Hand the conversation back to the bot."""
        return await _out(request, await runtime_of(request).pipeline.work.transfer_to_bot(user, conversation_id))

    @get("/{conversation_id:str}/suggestions")
    async def suggestions(self, request: Request, user: User, conversation_id: str) -> SuggestionsEvent:
        """Agent assist for the latest customer message (also pushed to the agent's socket as it arrives)."""
        return await runtime_of(request).pipeline.latest_assistance(user, conversation_id)
