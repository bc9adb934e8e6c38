"""What agents (and their supervisors) do with a conversation: take an offer or pass it on, reply, note,
whisper, hold and resume, transfer, hand back to the bot, resolve.

Every action checks that the conversation is the user's to act on, stores the change, then announces it
through the pipeline (customer's and agent's sockets, push channels' notices) and lets routing match
whatever it freed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import msgspec

from hub.envelopes import MessageEvent
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.ids import new_id
from hub.lifecycle import Event as Transition
from hub.lifecycle import next_state
from hub.models import (
    CHAT_ROLES,
    MANAGER_ROLES,
    AgentState,
    Conversation,
    ConversationState,
    Message,
    Role,
    User,
    utcnow,
)
from hub.routing.queues import MEDIA
from hub.routing.router import release_trigger
from hub.store.base import agent_conflict

if TYPE_CHECKING:
    from hub.pipeline import Pipeline

S = ConversationState


def _reply_key(user: User, conversation_id: str, client_id: str) -> str:
    """The external id an agent's reply is stored under: one reply per client id, user and conversation."""
    return f"agent:{user.id}:{conversation_id}:{client_id}"


def _held_until(conversation: Conversation, now: datetime) -> dict[str, object]:
    """The changes that end a hold (if any): its time is added to the conversation's total."""
    if conversation.on_hold_since is None:
        return {}
    held = max(0.0, (now - conversation.on_hold_since).total_seconds())
    return {"on_hold_since": None, "held_s": round(conversation.held_s + held, 3)}


class AgentWork:
    def __init__(self, pipeline: Pipeline) -> None:
        self.p = pipeline

    # ----- offers -------------------------------------------------------------------------------
    async def accept(self, user: User, conversation_id: str) -> Conversation:
        p = self.p
        if not await p.router.accept(conversation_id, user.id):
            raise Conflict("this offer has expired or was taken back", code="offer_expired")
        await p.router.clear_missed(user.id)
        try:
            conversation = await p.store.update_conversation(conversation_id, S.QUEUED, {
                "state": next_state(S.QUEUED, Transition.ASSIGN), "agent_id": user.id,
                "assigned_at": utcnow(), "updated_at": utcnow()})
        except (Conflict, NotFound):
            await p.route([release_trigger(user.id, await self._media_of(conversation_id))])
            raise Conflict("the conversation is no longer waiting", code="not_waiting") from None
        event = msgspec.structs.replace(await p.status_event(conversation), last_seq=conversation.last_seq)
        await p.publish(event, conversation.id, user.id)  # the agent's sockets start following it
        await p.outbound.assigned(conversation, await p.name_of(user.id))
        p.queue_changed.set()
        if p.assisting.active:
            p.assisting.later(p.assisting.on_accept(user.id, conversation))
        return conversation

    async def decline(self, user: User, conversation_id: str) -> None:
        if await self.p.router.withdraw(conversation_id, user.id) is None:
            raise Conflict("this offer has expired or was taken back", code="offer_expired")
        await self.p.route()

    async def _media_of(self, conversation_id: str) -> str:
        try:
            return MEDIA[(await self.p.store.get_conversation(conversation_id)).channel]
        except NotFound:
            return "chat"

    # ----- who may act ----------------------------------------------------------------------------
    async def assigned_to(self, user: User, conversation_id: str) -> Conversation:
        """The user's conversation, assigned to them now. One that was theirs and is no longer (resolved) is a
        conflict of timing (409), one that never was is not theirs to touch (403)."""
        conversation = await self.p.store.get_conversation(conversation_id)
        if conversation.agent_id != user.id:
            raise Forbidden("this conversation is not assigned to you", code="not_assigned")
        if conversation.state is not S.ASSIGNED:
            raise agent_conflict()
        return conversation

    async def writable_by(self, user: User, conversation_id: str) -> Conversation:
        """Its agent's, or any assigned conversation for supervisors and admins (barge-in)."""
        if user.role in MANAGER_ROLES:
            conversation = await self.p.store.get_conversation(conversation_id)
            if conversation.state is S.ASSIGNED and conversation.agent_id:
                return conversation
            if conversation.agent_id != user.id:
                raise Conflict("no agent is working this conversation", code="not_assigned")
        return await self.assigned_to(user, conversation_id)

    def check_text(self, text: str) -> str:
        limit = self.p.settings.max_text_bytes
        if not text.strip():
            raise InvalidInput("the message is empty", code="empty_text")
        if len(text.encode()) > limit:
            raise InvalidInput(f"the message is longer than {limit} bytes", code="text_too_long")
        return text

    # ----- writing --------------------------------------------------------------------------------
    async def agent_message(self, user: User, conversation_id: str, text: str,
                            client_id: str | None = None, file_id: str | None = None) -> MessageEvent:
        """The agent's reply, with an attachment uploaded for this customer (``file_id``) if any; a supervisor or
        admin may also write into an agent's conversation (barge-in). A reply ends a hold."""
        p = self.p
        try:
            conversation = await self.writable_by(user, conversation_id)
        except (Conflict, Forbidden):  # no longer theirs (resolved, reopened): a reply sent again is answered again
            resent = None if client_id is None else await self._resent(user, conversation_id, client_id)
            if resent is None:
                raise
            return resent
        meta: dict[str, str] = {}
        if file_id is not None:
            attached = await p.attachments.of_contact(file_id, conversation.contact_id)
            meta = p.attachments.describe(attached)
            text = text if text.strip() else p.attachments.caption(attached)
        appended = await p.store.add_message(Message(
            id=new_id(), conversation_id=conversation.id, seq=0, role=Role.AGENT, text=self.check_text(text),
            channel=conversation.channel, created_at=utcnow(), author_id=user.id, meta=meta,
            external_id=_reply_key(user, conversation.id, client_id) if client_id else None,
            client_id=client_id), agent=conversation.agent_id)
        event = await p.message_event(appended.message)
        if appended.created:
            await p.publish(event, conversation.id, None)
            await p.outbound.push(conversation, appended.message)
            if conversation.on_hold_since is not None:
                await self._end_hold(conversation, notice=False)
        return event

    async def _resent(self, user: User, conversation_id: str, client_id: str) -> MessageEvent | None:
        """The reply this user stored under ``client_id`` in the conversation, if any."""
        conversation = await self.p.store.get_conversation(conversation_id)
        stored = await self.p.store.find_message(conversation.channel, _reply_key(user, conversation.id, client_id))
        return None if stored is None else await self.p.message_event(stored)

    async def whisper(self, user: User, conversation_id: str, text: str) -> MessageEvent:
        """A supervisor's private note to the agent working the conversation: stored, never sent to the
        customer, shown to the agent (and on the supervisor's own sockets)."""
        p = self.p
        if user.role not in MANAGER_ROLES:
            raise Forbidden("only supervisors and admins whisper to agents", code="role_forbidden")
        conversation = await p.store.get_conversation(conversation_id)
        if conversation.state is not S.ASSIGNED or not conversation.agent_id:
            raise Conflict("no agent is working this conversation", code="not_assigned")
        appended = await p.store.add_message(Message(
            id=new_id(), conversation_id=conversation.id, seq=0, role=Role.SUPERVISOR, text=self.check_text(text),
            channel=conversation.channel, created_at=utcnow(), author_id=user.id, internal=True))
        event = await p.message_event(appended.message)
        await p.publish(event, None, conversation.agent_id)
        if user.id != conversation.agent_id:
            await p.publish(event, None, user.id)
        return event

    async def note(self, user: User, conversation_id: str, text: str) -> MessageEvent:
        """An internal note in the conversation: kept with it for staff, never sent to the customer."""
        p = self.p
        conversation = await self.writable_by(user, conversation_id)
        appended = await p.store.add_message(Message(
            id=new_id(), conversation_id=conversation.id, seq=0, role=Role.AGENT, text=self.check_text(text),
            channel=conversation.channel, created_at=utcnow(), author_id=user.id, internal=True))
        event = await p.message_event(appended.message)
        for agent_id in {conversation.agent_id, user.id} - {None}:
            await p.publish(event, None, agent_id)
        return event

    # ----- hold -------------------------------------------------------------------------------------
    async def hold(self, user: User, conversation_id: str) -> Conversation:
        """The agent steps away from the customer for a moment (checking something): the customer hears they
        should hold on, the console shows for how long. The conversation keeps its place in the agent's load."""
        conversation = await self.assigned_to(user, conversation_id)
        if conversation.on_hold_since is not None:
            raise Conflict("this conversation is on hold already", code="already_on_hold")
        now = utcnow()
        held = await self.p.store.update_conversation(conversation.id, S.ASSIGNED, {
            "on_hold_since": now, "updated_at": now}, expect_agent=user.id)
        await self._announce_hold(held, "hold")
        await self.p.outbound.held(held)
        return held

    async def resume(self, user: User, conversation_id: str) -> Conversation:
        conversation = await self.assigned_to(user, conversation_id)
        if conversation.on_hold_since is None:
            raise Conflict("this conversation is not on hold", code="not_on_hold")
        return await self._end_hold(conversation, notice=True)

    async def _end_hold(self, conversation: Conversation, notice: bool) -> Conversation:
        now = utcnow()
        back = await self.p.store.update_conversation(conversation.id, S.ASSIGNED, {
            **_held_until(conversation, now), "updated_at": now}, expect_agent=conversation.agent_id)
        await self._announce_hold(back, "resumed")
        if notice:
            await self.p.outbound.resumed(back)
        return back

    async def _announce_hold(self, conversation: Conversation, reason: str) -> None:
        """To the customer's sockets and the agent's own channel (their sockets drop an "assigned" status
        coming from the conversation's channel, as they hear of assignments on their own)."""
        await self.p.publish(await self.p.status_event(conversation, reason), conversation.id, conversation.agent_id)

    # ----- ending -----------------------------------------------------------------------------------
    async def resolve(self, user: User, conversation_id: str, wrap_up_code: str | None = None,
                      wrap_up_note: str | None = None) -> Conversation:
        """Close the conversation, filed under a wrap-up code (one of the desk's) with a note, if given."""
        p = self.p
        conversation = await p.store.get_conversation(conversation_id)
        if conversation.agent_id != user.id and user.role not in MANAGER_ROLES:
            raise Forbidden("this conversation is not assigned to you", code="not_assigned")
        await p.desk.check_wrap_up(wrap_up_code)
        now = utcnow()
        filed = {"wrap_up_code": wrap_up_code, "wrap_up_note": (wrap_up_note or "").strip() or None} \
            if wrap_up_code or wrap_up_note else {}
        resolved = await p.store.update_conversation(conversation.id, conversation.state, {
            "state": next_state(conversation.state, Transition.RESOLVE), "resolved_at": now,
            "updated_at": now, **_held_until(conversation, now), **filed}, expect_agent=conversation.agent_id)
        freed = await p.leave_routing(conversation)
        await p.announce(resolved)
        await p.outbound.resolved(resolved)
        await p.acd.remember_agent(conversation)
        p.queue_changed.set()
        if p.settings.wrap_up_s and conversation.agent_id == user.id and user.agent_state is AgentState.READY:
            await p.set_agent_state(user, AgentState.WRAP_UP)  # before the freed slot is matched
        await p.route(freed)
        return resolved

    async def transfer_to_queue(self, user: User, conversation_id: str, queue_id: str | None = None,
                                agent_id: str | None = None) -> Conversation:
        """Back to waiting: in its queue or ``queue_id``, for ``agent_id`` first when given."""
        p = self.p
        conversation = await self.assigned_to(user, conversation_id)
        if queue_id is not None and queue_id not in p.router.queues:
            raise NotFound(f"there is no queue {queue_id!r}", code="unknown_queue")
        if agent_id is not None:
            await self._colleague(agent_id)
        queue = p.acd.queue_for(conversation.channel, queue_id or conversation.queue_id)
        now = utcnow()
        wanted_until = now + timedelta(seconds=queue.wanted_wait_s) if agent_id else None
        queued = await p.store.update_conversation(conversation.id, S.ASSIGNED, {
            "state": next_state(S.ASSIGNED, Transition.TRANSFER), "agent_id": None, "assigned_at": None,
            "queued_at": now, "queue_id": queue.id, "wanted_agent_id": agent_id, "wanted_until": wanted_until,
            "handoff_reason": "transfer", "updated_at": now, **_held_until(conversation, now)}, expect_agent=user.id)
        position, offers = await p.enqueue(queued, [release_trigger(user.id, MEDIA[conversation.channel])])
        await p.announce_queued(queued, "transfer", position)
        await p.outbound.queued(queued, position)
        await p.deliver_offers(offers)
        return queued

    async def _colleague(self, agent_id: str) -> User:
        """The user a conversation is transferred to: one who takes conversations."""
        try:
            colleague = await self.p.store.get_user(agent_id)
        except NotFound:
            raise NotFound("there is no such agent", code="unknown_agent") from None
        if colleague.role not in CHAT_ROLES:
            raise InvalidInput("conversations go only to agents, supervisors and admins", code="not_an_agent")
        return colleague

    async def transfer_to_bot(self, user: User, conversation_id: str) -> Conversation:
        """The agent hands the conversation back to the bot, which answers the customer's next message."""
        p = self.p
        conversation = await self.assigned_to(user, conversation_id)
        now = utcnow()
        back = await p.store.update_conversation(conversation.id, S.ASSIGNED, {
            "state": next_state(S.ASSIGNED, Transition.TO_BOT), "agent_id": None, "assigned_at": None,
            "handoff_reason": None, "handoff_summary": None, "handoff_suggestions": [], "updated_at": now,
            **_held_until(conversation, now)}, expect_agent=user.id)
        await p.announce(back, "to_bot")
        await p.route([release_trigger(user.id, MEDIA[conversation.channel])])
        return back
