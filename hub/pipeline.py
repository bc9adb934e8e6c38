"""The only wiring of inbound → store → bot/routing → outbound.

Connectors call the ChatHub methods; the agent API calls the agent methods. Every change is stored
first, then announced as an event on the bus, which delivers it to whichever process holds the
customer's or the agent's websocket.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from bot import Bot
from bot.assist import Assistant
from bot.handoff import NEGATIVE_FEEDBACK
from hub import keys
from hub.auth import customer_token, token_fingerprint
from hub.bus import Bus
from hub.envelopes import (
    BotDecision,
    BotView,
    Event,
    InboundMessage,
    MessageEvent,
    OfferEvent,
    OfferWithdrawnEvent,
    Receipt,
    Session,
    StatusEvent,
    SuggestionsEvent,
    Turn,
)
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.ids import new_id
from hub.lifecycle import Event as Transition
from hub.lifecycle import may_reopen, next_state
from hub.models import (
    AgentState,
    Channel,
    Contact,
    ContactIdentity,
    Conversation,
    ConversationState,
    Message,
    Role,
    Suggested,
    User,
    UserRole,
    iso,
    utcnow,
)
from hub.presence import Presence
from hub.routing import Offer, Router
from hub.settings import Settings
from hub.store import Store
from hub.store.base import Appended
from kb.feedback import Feedback, Miss

S = ConversationState
log = logging.getLogger(__name__)
CHAT_ROLES = frozenset({UserRole.AGENT, UserRole.SUPERVISOR, UserRole.ADMIN})
MANAGER_ROLES = frozenset({UserRole.SUPERVISOR, UserRole.ADMIN})
_encode = msgspec.json.encode
BOT_MEMORY = 10  # earlier messages the bot sees


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class Pipeline:
    def __init__(self, settings: Settings, store: Store, router: Router, bus: Bus, bot: Bot,
                 presence: Presence, assistant: Assistant | None = None) -> None:
        self.settings = settings
        self.store = store
        self.router = router
        self.bus = bus
        self.bot = bot
        self.presence = presence
        self.assistant = assistant or Assistant(bot.knowledge, bot.writer)
        self._names: dict[str, str] = {}
        self._background: set[asyncio.Task[None]] = set()

    # ----- events -----------------------------------------------------------------------------
    async def publish(self, event: Event, conversation_id: str | None, agent_id: str | None) -> None:
        data = _encode(event).decode()
        channels = []
        if conversation_id is not None:
            channels.append(keys.conversation_events(conversation_id))
        if agent_id is not None:
            channels.append(keys.agent_events(agent_id))
        await self.bus.publish_many(channels, data)

    async def _name_of(self, user_id: str) -> str:
        if user_id not in self._names:
            user = await self.store.get_user(user_id)
            self._names[user_id] = user.display_name or user.username
        return self._names[user_id]

    async def message_event(self, message: Message, client_id: str | None = None) -> MessageEvent:
        author = await self._name_of(message.author_id) if message.author_id else None
        return MessageEvent(
            id=message.id, conversation_id=message.conversation_id, seq=message.seq, role=message.role,
            text=message.text, created_at=iso(message.created_at), author=author, client_id=client_id,
            source=message.source,
        )

    async def status_event(self, conversation: Conversation, reason: str | None = None) -> StatusEvent:
        position = await self.router.position(conversation.id) if conversation.state is S.QUEUED else None
        agent = await self._name_of(conversation.agent_id) if conversation.state is S.ASSIGNED and \
            conversation.agent_id else None
        return StatusEvent(conversation_id=conversation.id, state=conversation.state,
                           queue_position=position, agent=agent, reason=reason)

    async def _announce(self, conversation: Conversation, reason: str | None = None) -> None:
        """Tell everyone following the conversation (its customer's and its agent's sockets)."""
        await self.publish(await self.status_event(conversation, reason), conversation.id, None)

    # ----- customers (the ChatHub protocol) ---------------------------------------------------
    async def open_session(
        self, channel: Channel, token: str | None, name: str | None, locale: str | None, after_seq: int = 0,
        known_conversation_id: str | None = None,
    ) -> Session:
        if token is None:
            token = customer_token()
            contact = await self._new_contact(channel, token_fingerprint(token), name, locale)
            conversation = self._unsaved_conversation(contact.id, channel)
        else:
            identity = await self.store.find_identity(channel, token_fingerprint(token))
            if identity is None:
                raise NotFound("this chat session is unknown or has expired; start a new one",
                               code="unknown_token")
            conversation = await self.store.latest_conversation(identity.contact_id, channel) \
                or self._unsaved_conversation(identity.contact_id, channel)
        if known_conversation_id not in (None, conversation.id):
            after_seq = 0  # the client's cursor belongs to an older conversation
        history = [await self.message_event(m) for m in await self.store.messages(conversation.id, after_seq)]
        return Session(conversation_id=conversation.id, contact_id=conversation.contact_id, token=token,
                       history=history, status=await self.status_event(conversation))

    async def _new_contact(self, channel: Channel, external_id: str, name: str | None,
                           locale: str | None) -> Contact:
        now = utcnow()
        contact = Contact(id=new_id(), name=name, locale=locale, created_at=now)
        identity = ContactIdentity(channel=channel, external_id=external_id, contact_id=contact.id,
                                   created_at=now)
        await self.store.create_contact(contact, identity)
        return contact

    @staticmethod
    def _unsaved_conversation(contact_id: str, channel: Channel, conversation_id: str | None = None) -> Conversation:
        """A conversation as it begins. A session gets its id at once, but the store keeps it only from
        its first message: a visitor who opens the widget and says nothing leaves no conversation."""
        now = utcnow()
        return Conversation(id=conversation_id or new_id(), contact_id=contact_id, channel=channel, state=S.BOT,
                            created_at=now, updated_at=now)

    async def _new_conversation(self, contact_id: str, channel: Channel, conversation_id: str | None = None
                                ) -> Conversation:
        conversation = self._unsaved_conversation(contact_id, channel, conversation_id)
        try:
            await self.store.create_conversation(conversation)
        except Conflict:  # a concurrent first message of the same session created it
            return await self.store.get_conversation(conversation.id)
        return conversation

    async def _reopen_or_renew(self, resolved: Conversation) -> Conversation:
        """A customer wrote to a resolved conversation: reopen it within the window, else begin anew."""
        now = utcnow()
        if not may_reopen(resolved.resolved_at, now, self.settings.reopen_window_s):
            return await self._new_conversation(resolved.contact_id, resolved.channel)
        try:
            reopened = await self.store.update_conversation(resolved.id, S.RESOLVED, {
                "state": next_state(S.RESOLVED, Transition.REOPEN), "resolved_at": None,
                "agent_id": None, "updated_at": now})
        except Conflict:
            return await self.store.get_conversation(resolved.id)  # another message reopened it first
        await self._announce(reopened, "reopened")
        return reopened

    async def receive(self, inbound: InboundMessage) -> Receipt:
        message = Message(id=new_id(), conversation_id=inbound.conversation_id, seq=0, role=Role.CUSTOMER,
                          text=inbound.text, channel=inbound.channel, created_at=utcnow(),
                          external_id=inbound.external_id)
        appended = await self._append_customer(message, inbound.contact_id)
        stored, conversation = appended.message, appended.conversation
        if appended.created and conversation is not None:
            await self.publish(await self.message_event(stored, inbound.client_id), conversation.id, None)
            if conversation.state is S.BOT:
                await self._ask_bot(conversation, stored)
            elif conversation.state is S.ASSIGNED and conversation.agent_id:
                self._later(self.push_assistance(conversation.agent_id, conversation, stored))
        else:
            await self._resume_turn(stored)
        return Receipt(message_id=stored.id, conversation_id=stored.conversation_id, created=appended.created)

    async def _append_customer(self, message: Message, contact_id: str | None) -> Appended:
        """Append to the session's conversation: begin it with its first message, reopen it, or, past
        the reopen window, begin a new one."""
        try:
            return await self.store.add_message(message, open_only=True)
        except NotFound:
            if contact_id is None:
                raise
            await self._new_conversation(contact_id, message.channel, message.conversation_id)
            return await self.store.add_message(message, open_only=True)
        except Conflict as exc:
            if exc.code != "conversation_resolved":
                raise
            current = await self._reopen_or_renew(await self.store.get_conversation(message.conversation_id))
            return await self.store.add_message(msgspec.structs.replace(message, conversation_id=current.id))

    async def _resume_turn(self, resent: Message) -> None:
        """A resend of a stored message: if the work after its commit failed (the customer saw an
        error, not an ack), the conversation still waits on the bot for it; decide now."""
        conversation = await self.store.get_conversation(resent.conversation_id)
        if conversation.state is S.BOT and conversation.last_seq == resent.seq:
            await self._ask_bot(conversation, resent)

    async def watch(self, conversation_id: str, handler: Callable[[str], None]) -> None:
        await self.bus.subscribe(keys.conversation_events(conversation_id), handler)

    async def unwatch(self, conversation_id: str, handler: Callable[[str], None]) -> None:
        await self.bus.unsubscribe(keys.conversation_events(conversation_id), handler)

    # ----- agent assist --------------------------------------------------------------------------
    def _later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run work that must not delay the customer's ack; its failure is logged, never raised."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work failed", exc_info=task.exception())

    async def push_assistance(self, agent_id: str, conversation: Conversation, message: Message) -> None:
        """Suggested replies for the customer's message, to the agent working the conversation."""
        help_ = await self.assistant.assist(message.text, conversation.channel)
        if help_.suggestions or help_.draft:
            await self.publish(SuggestionsEvent(conversation_id=conversation.id, message_id=message.id,
                                                suggestions=help_.suggestions, draft=help_.draft), None, agent_id)

    async def _last_from_customer(self, conversation: Conversation) -> Message | None:
        recent = await self.store.messages(conversation.id, max(0, conversation.last_seq - BOT_MEMORY))
        return next((m for m in reversed(recent) if m.role is Role.CUSTOMER), None)

    async def _assist_on_accept(self, agent_id: str, conversation: Conversation) -> None:
        last = await self._last_from_customer(conversation)
        if last is not None:
            await self.push_assistance(agent_id, conversation, last)

    async def latest_assistance(self, user: User, conversation_id: str) -> SuggestionsEvent:
        """Agent assist on demand: for the conversation's latest customer message."""
        conversation = await self._assigned_to(user, conversation_id)
        last = await self._last_from_customer(conversation)
        if last is None:
            return SuggestionsEvent(conversation_id=conversation.id, message_id="")
        help_ = await self.assistant.assist(last.text, conversation.channel)
        return SuggestionsEvent(conversation_id=conversation.id, message_id=last.id, suggestions=help_.suggestions,
                                draft=help_.draft)

    # ----- the bot and the queue --------------------------------------------------------------
    async def _ask_bot(self, conversation: Conversation, message: Message) -> None:
        view = await self._bot_view(conversation, message)
        decision = await self.bot.respond(view)
        if decision.missed:
            await self._log_miss(conversation, message, decision)
        if decision.hands_off:
            await self._handoff(conversation, decision.handoff_reason or "bot", decision.summary,
                                decision.suggestions)
        elif decision.reply:
            await self._say(conversation, Role.BOT, decision.reply, decision.source)

    async def _bot_view(self, conversation: Conversation, message: Message) -> BotView:
        earlier = await self.store.messages(conversation.id, max(0, message.seq - 1 - BOT_MEMORY), BOT_MEMORY)
        contact = await self.store.get_contact(conversation.contact_id)
        return BotView(conversation_id=conversation.id, channel=conversation.channel, text=message.text,
                       locale=contact.locale, earlier=[Turn(role=m.role, text=m.text, source=m.source)
                                                       for m in earlier if m.seq < message.seq])

    async def _log_miss(self, conversation: Conversation, message: Message, decision: BotDecision) -> None:
        best = decision.suggestions[0].ref if decision.suggestions else None
        await self.store.knowledge.add_miss(Miss(
            id=new_id(), text=message.text, channel=conversation.channel, conversation_id=conversation.id,
            reason=decision.handoff_reason or (decision.source or "missed"), confidence=decision.confidence,
            best_ref=best, created_at=utcnow()))

    async def _say(self, conversation: Conversation, role: Role, text: str, source: str | None = None) -> Message:
        message = (await self.store.add_message(Message(
            id=new_id(), conversation_id=conversation.id, seq=0, role=role, text=text,
            channel=conversation.channel, created_at=utcnow(), source=source))).message
        await self.publish(await self.message_event(message), conversation.id, None)
        return message

    async def _handoff(self, conversation: Conversation, reason: str, summary: str | None = None,
                       suggestions: Sequence[Suggested] = ()) -> None:
        now = utcnow()
        try:
            queued = await self.store.update_conversation(conversation.id, S.BOT, {
                "state": next_state(S.BOT, Transition.HANDOFF), "handoff_reason": reason,
                "handoff_summary": summary, "handoff_suggestions": list(suggestions),
                "queued_at": now, "updated_at": now})
        except Conflict:
            return  # another message of the same turn already handed it off
        await self.router.enqueue(queued.id, ms(now))
        await self._announce(queued, reason)
        await self.route()

    async def feedback(self, conversation_id: str, message_id: str, helpful: bool, comment: str | None) -> None:
        """A customer's verdict on a bot answer; "not helpful" hands the conversation to a person."""
        answer = next((m for m in await self.store.messages(conversation_id) if m.id == message_id), None)
        if answer is None or answer.role is not Role.BOT or not answer.source or "@" not in answer.source:
            raise NotFound("there is no bot answer with that id in this conversation", code="unknown_message")
        await self.store.knowledge.put_feedback(Feedback(
            message_id=message_id, conversation_id=conversation_id, article_ref=answer.source, helpful=helpful,
            comment=comment, created_at=utcnow()))
        conversation = await self.store.get_conversation(conversation_id)
        if not helpful and conversation.state is S.BOT and self.bot.policy.on_negative_feedback:
            view = await self._bot_view(conversation, answer)
            found = await self.bot.search(view.text, conversation.channel)
            decision = self.bot.handoff(view, NEGATIVE_FEEDBACK, found)
            await self._handoff(conversation, NEGATIVE_FEEDBACK, decision.summary, decision.suggestions)

    async def route(self) -> list[Offer]:
        """Offer waiting conversations to free agents, and tell each agent of their offers."""
        offers = await self.router.match()
        made = []
        for offer in offers:
            try:
                event = await self._offer_event(offer)
            except Exception:  # the store did not answer: back to its place, to be offered again
                log.exception("route: could not offer %s; returned to the queue", offer.conversation_id)
                await self.router.withdraw(offer.conversation_id, offer.agent_id, requeue=True)
                continue
            if event is None:  # no longer waiting (resolved meanwhile): Redis held a stale entry
                await self.router.withdraw(offer.conversation_id, offer.agent_id, requeue=False)
                continue
            await self.publish(event, None, offer.agent_id)
            made.append(offer)
        if offers:
            await self.announce_queue()
        return made

    async def announce_queue(self, head: int = 100) -> None:
        """Tell the first ``head`` waiting customers their position, after the queue moved."""
        waiting = await self.router.waiting_head(head)
        for position, conversation_id in enumerate(waiting, start=1):
            event = StatusEvent(conversation_id=conversation_id, state=S.QUEUED, queue_position=position)
            await self.publish(event, conversation_id, None)

    async def pending_offers(self, user: User) -> list[OfferEvent]:
        events = [await self._offer_event(offer) for offer in await self.router.offers_of(user.id)]
        return [event for event in events if event is not None]

    async def _offer_event(self, offer: Offer) -> OfferEvent | None:
        """The offer as its agent sees it, or None when the store says it is not waiting at all."""
        try:
            conversation = await self.store.get_conversation(offer.conversation_id)
        except NotFound:
            return None
        if conversation.state is not S.QUEUED:
            return None
        contact = await self.store.get_contact(conversation.contact_id)
        recent = await self.store.messages(conversation.id, max(0, conversation.last_seq - 1))
        return OfferEvent(
            conversation_id=conversation.id, channel=conversation.channel,
            expires_at=iso(datetime.fromtimestamp(offer.deadline_ms / 1000, UTC)),
            contact=contact.name, preview=recent[-1].text[:200] if recent else None,
            reason=conversation.handoff_reason, summary=conversation.handoff_summary,
            suggestions=conversation.handoff_suggestions)

    # ----- agents -----------------------------------------------------------------------------
    def capacity(self, user: User) -> int:
        return user.capacity or self.settings.agent_capacity

    async def set_agent_state(self, user: User, state: AgentState) -> None:
        if user.role not in CHAT_ROLES:
            raise Forbidden("this account does not take conversations", code="not_an_agent")
        await self.store.set_agent_state(user.id, state, utcnow())
        await self.router.set_state(user.id, state.value, self.capacity(user))
        if state is not AgentState.READY:  # offers to someone who stepped away go to the next agent now
            for offer in await self.router.offers_of(user.id):
                if await self.router.withdraw(offer.conversation_id, user.id) is not None:
                    await self.publish(OfferWithdrawnEvent(conversation_id=offer.conversation_id,
                                                           reason=f"agent_{state.value}"), None, user.id)
        await self.route()

    async def accept(self, user: User, conversation_id: str) -> Conversation:
        if not await self.router.accept(conversation_id, user.id):
            raise Conflict("this offer has expired or was taken back", code="offer_expired")
        try:
            conversation = await self.store.update_conversation(conversation_id, S.QUEUED, {
                "state": next_state(S.QUEUED, Transition.ASSIGN), "agent_id": user.id,
                "updated_at": utcnow()})
        except (Conflict, NotFound):
            await self.router.release(user.id)
            await self.route()
            raise Conflict("the conversation is no longer waiting", code="not_waiting") from None
        event = msgspec.structs.replace(await self.status_event(conversation), last_seq=conversation.last_seq)
        await self.publish(event, conversation.id, user.id)  # the agent's sockets start following it
        self._later(self._assist_on_accept(user.id, conversation))
        return conversation

    async def decline(self, user: User, conversation_id: str) -> None:
        if await self.router.withdraw(conversation_id, user.id) is None:
            raise Conflict("this offer has expired or was taken back", code="offer_expired")
        await self.route()

    async def _assigned_to(self, user: User, conversation_id: str) -> Conversation:
        conversation = await self.store.get_conversation(conversation_id)
        if conversation.state is not S.ASSIGNED or conversation.agent_id != user.id:
            raise Forbidden("this conversation is not assigned to you", code="not_assigned")
        return conversation

    def check_text(self, text: str) -> str:
        if not text.strip():
            raise InvalidInput("the message is empty", code="empty_text")
        if len(text.encode()) > self.settings.max_text_bytes:
            raise InvalidInput(f"the message is longer than {self.settings.max_text_bytes} bytes",
                               code="text_too_long")
        return text

    async def agent_message(self, user: User, conversation_id: str, text: str,
                            client_id: str | None = None) -> MessageEvent:
        conversation = await self._assigned_to(user, conversation_id)
        appended = await self.store.add_message(Message(
            id=new_id(), conversation_id=conversation.id, seq=0, role=Role.AGENT, text=self.check_text(text),
            channel=conversation.channel, created_at=utcnow(), author_id=user.id,
            external_id=f"agent:{user.id}:{conversation.id}:{client_id}" if client_id else None), agent=user.id)
        event = await self.message_event(appended.message, client_id)
        if appended.created:
            await self.publish(event, conversation.id, None)
        return event

    async def resolve(self, user: User, conversation_id: str) -> Conversation:
        conversation = await self.store.get_conversation(conversation_id)
        if conversation.agent_id != user.id and user.role not in MANAGER_ROLES:
            raise Forbidden("this conversation is not assigned to you", code="not_assigned")
        now = utcnow()
        resolved = await self.store.update_conversation(conversation.id, conversation.state, {
            "state": next_state(conversation.state, Transition.RESOLVE), "resolved_at": now,
            "updated_at": now}, expect_agent=conversation.agent_id)
        await self._leave_routing(conversation)
        await self._announce(resolved)
        await self.route()
        return resolved

    async def transfer_to_queue(self, user: User, conversation_id: str) -> Conversation:
        conversation = await self._assigned_to(user, conversation_id)
        now = utcnow()
        queued = await self.store.update_conversation(conversation.id, S.ASSIGNED, {
            "state": next_state(S.ASSIGNED, Transition.TRANSFER), "agent_id": None, "queued_at": now,
            "handoff_reason": "transfer", "updated_at": now}, expect_agent=user.id)
        await self.router.release(user.id)
        await self.router.enqueue(queued.id, ms(now))
        await self._announce(queued, "transfer")
        await self.route()
        return queued

    async def transfer_to_bot(self, user: User, conversation_id: str) -> Conversation:
        """The agent hands the conversation back to the bot, which answers the customer's next message."""
        conversation = await self._assigned_to(user, conversation_id)
        back = await self.store.update_conversation(conversation.id, S.ASSIGNED, {
            "state": next_state(S.ASSIGNED, Transition.TO_BOT), "agent_id": None, "handoff_reason": None,
            "handoff_summary": None, "handoff_suggestions": [], "updated_at": utcnow()}, expect_agent=user.id)
        await self.router.release(user.id)
        await self._announce(back, "to_bot")
        await self.route()
        return back

    async def _leave_routing(self, conversation: Conversation) -> None:
        if conversation.state is S.ASSIGNED and conversation.agent_id:
            await self.router.release(conversation.agent_id)
        elif conversation.state is S.QUEUED:
            offered_to = await self.router.dequeue(conversation.id)
            if offered_to is not None:
                await self.publish(OfferWithdrawnEvent(conversation_id=conversation.id, reason="resolved"),
                                   None, offered_to)
            await self.announce_queue()

    async def conversations_of(self, user: User, states: Sequence[ConversationState]) -> list[Conversation]:
        return await self.store.conversations_of_agent(user.id, states)

    async def watch_agent(self, agent_id: str, handler: Callable[[str], None]) -> None:
        await self.bus.subscribe(keys.agent_events(agent_id), handler)

    async def unwatch_agent(self, agent_id: str, handler: Callable[[str], None]) -> None:
        await self.bus.unsubscribe(keys.agent_events(agent_id), handler)
