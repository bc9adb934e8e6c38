"""The only wiring of inbound → store → bot/routing → outbound.

Connectors call the ChatHub methods; the agent API calls the agent methods. Every change is stored
first, then announced as an event on the bus, which delivers it to whichever process holds the
customer's or the agent's websocket.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import msgspec

from bot import Bot
from bot.assist import Assistant
from hub import keys
from hub.acd import Acd
from hub.agent_work import AgentWork
from hub.assisting import Assisting
from hub.attachments import Attachments
from hub.auth import customer_token, token_fingerprint
from hub.bot_turns import BotTurns
from hub.bus import EventBus
from hub.desk import Desk
from hub.envelopes import (
    AgentStateEvent,
    ContactSession,
    Delivery,
    Event,
    InboundMessage,
    MessageEvent,
    MovedEvent,
    OfferEvent,
    OfferWithdrawnEvent,
    OnStored,
    Receipt,
    Session,
    StatusEvent,
    SuggestionsEvent,
    TypingEvent,
)
from hub.errors import Conflict, Forbidden, NotFound, Unauthorized
from hub.ids import derived_id, new_id
from hub.lifecycle import Event as Transition
from hub.lifecycle import may_reopen, next_state
from hub.models import (
    CHAT_ROLES,
    AgentState,
    Channel,
    Contact,
    ContactIdentity,
    Conversation,
    ConversationState,
    Message,
    Role,
    StoredFile,
    Suggested,
    User,
    iso,
    ms,
    utcnow,
)
from hub.outbound import Outbound
from hub.presence import Presence
from hub.routing import Offer, Router
from hub.routing.queues import MEDIA, Outside
from hub.routing.router import EVERY_QUEUE, release_trigger
from hub.satisfaction import Satisfaction
from hub.settings import Settings
from hub.store import Store
from hub.store.base import Appended
from hub.wallboard import Wallboard

S = ConversationState
NAME_TTL_S = 10.0
BLOCKED_TEXT = {
    "en": "We are sorry, but this conversation cannot be passed to an agent. Please contact us by other means.",
    "zh": "很抱歉，此对话无法转接人工客服，请通过其他方式联系我们。",
}
log = logging.getLogger(__name__)
HISTORY_PAGE = 500  # messages read from the store at a time for a session's history
_encode = msgspec.json.encode


class Pipeline:
    def __init__(self, settings: Settings, store: Store, router: Router, bus: EventBus, bot: Bot,
                 presence: Presence, assistant: Assistant | None = None) -> None:
        self.settings = settings
        self.store = store
        self.router = router
        self.bus = bus
        self.bot = bot
        self.presence = presence
        self.wallboard = Wallboard(store, router, settings.service_level_s)
        self.turns = BotTurns(self)
        self.assisting = Assisting(self, assistant or Assistant(bot.knowledge, bot.writer))
        self.outbound = Outbound(self)
        self.satisfaction = Satisfaction(self)
        self.desk = Desk(store)
        self.attachments = Attachments(store, settings.max_file_bytes)
        self.acd = Acd(self)
        self.work = AgentWork(self)
        self.queue_changed = asyncio.Event()  # set on every change the queue figures may show
        self._names: dict[str, tuple[str, float]] = {}  # user id → (name, until when it is trusted)
        self._answering: set[tuple[str, int]] = set()  # (conversation, seq) the bot is answering in this process

    # ----- events -----------------------------------------------------------------------------
    async def publish(self, event: Event, conversation_id: str | None, agent_id: str | None, *,
                      guard_waiting: bool = True) -> None:
        """A "queued" status goes out only while the conversation still waits (not offered), so it cannot
        overtake an assignment; ``guard_waiting=False`` when the caller publishes it before any offer of the
        conversation is sent (the offers then follow it in order)."""
        data = _encode(event).decode()
        channels = []
        if conversation_id is not None:
            channels.append(keys.conversation_events(conversation_id))
        if agent_id is not None:
            channels.append(keys.agent_events(agent_id))
        waiting = event.conversation_id if guard_waiting and isinstance(event, StatusEvent) and \
            event.state is S.QUEUED else None
        await self.bus.publish_many(channels, data, if_waiting=waiting)

    async def name_of(self, user_id: str) -> str:
        """The name customers see for a user: kept for ``NAME_TTL_S`` (a rename made through another process
        shows within that), dropped at once by ``forget_name`` in the process that made it."""
        known = self._names.get(user_id)
        if known is None or known[1] < time.monotonic():
            user = await self.store.get_user(user_id)
            known = self._names[user_id] = (user.display_name or user.username, time.monotonic() + NAME_TTL_S)
        return known[0]

    def forget_name(self, user_id: str) -> None:
        self._names.pop(user_id, None)

    async def message_event(self, message: Message) -> MessageEvent:
        author = await self.name_of(message.author_id) if message.author_id else None
        return MessageEvent(
            id=message.id, conversation_id=message.conversation_id, seq=message.seq, role=message.role,
            text=message.text, created_at=iso(message.created_at), author=author, client_id=message.client_id,
            source=message.source, internal=message.internal, meta=message.meta,
        )

    async def status_event(self, conversation: Conversation, reason: str | None = None,
                           position: int | None = None) -> StatusEvent:
        """``position``: its place in line when the caller knows it (else routing is asked)."""
        if position is None and conversation.state is S.QUEUED:
            position = await self.router.position(conversation.id)
        wait = await self.wallboard.estimated_wait_s(position, conversation.queue_id) if position else None
        agent = await self.name_of(conversation.agent_id) if conversation.state is S.ASSIGNED and \
            conversation.agent_id else None
        return StatusEvent(conversation_id=conversation.id, state=conversation.state,
                           queue_position=position, estimated_wait_s=wait, agent=agent, reason=reason,
                           csat=conversation.csat, on_hold=conversation.on_hold_since is not None)

    async def announce(self, conversation: Conversation, reason: str | None = None) -> None:
        """Tell everyone following the conversation (its customer's and its agent's sockets)."""
        await self.publish(await self.status_event(conversation, reason), conversation.id, None)

    async def announce_queued(self, queued: Conversation, reason: str | None, position: int | None) -> None:
        """The customer hears they wait, and where, before any offer of it goes out (the offers then follow
        in order, so this needs no guard against overtaking an assignment)."""
        await self.publish(await self.status_event(queued, reason, position), queued.id, None, guard_waiting=False)

    # ----- customers (the ChatHub protocol) ---------------------------------------------------
    async def open_session(
        self, channel: Channel, token: str | None, name: str | None, locale: str | None, after_seq: int = 0,
        known_conversation_id: str | None = None,
    ) -> Session:
        if token is None:
            token = customer_token()
            contact = await self._new_contact(channel, token_fingerprint(token), name, locale)
            conversation = self._first_conversation(contact.id, channel)
        else:
            identity = await self.store.find_identity(channel, token_fingerprint(token))
            if identity is None:
                raise NotFound("this chat session is unknown or has expired; start a new one",
                               code="unknown_token")
            conversation = await self.store.latest_conversation(identity.contact_id, channel) \
                or self._first_conversation(identity.contact_id, channel)
        if known_conversation_id not in (None, conversation.id):
            after_seq = 0  # the client's cursor belongs to an older conversation
        history = [await self.message_event(m) for m in await self._messages_after(conversation.id, after_seq)
                   if not m.internal]
        return Session(conversation_id=conversation.id, contact_id=conversation.contact_id, token=token,
                       history=history, status=await self.status_event(conversation))

    async def _messages_after(self, conversation_id: str, after_seq: int) -> list[Message]:
        """Every message after ``after_seq``, however many: read page by page."""
        messages: list[Message] = []
        while page := await self.store.messages(conversation_id, after_seq, HISTORY_PAGE):
            messages += page
            if len(page) < HISTORY_PAGE:
                break
            after_seq = page[-1].seq
        return messages

    async def contact_session(self, channel: Channel, external_id: str, locale: str | None = None,
                              attributes: dict[str, str] | None = None, name: str | None = None) -> ContactSession:
        """A push channel's customer by their address there (made on first contact), with ``attributes``
        merged into what we know of them (and ``name``, if they had none), and the conversation their next
        message goes to."""
        identity = await self.store.find_identity(channel, external_id)
        created = identity is None
        if identity is None:
            try:
                contact = await self._new_contact(channel, external_id, None, locale)
            except Conflict:  # a concurrent first message made them
                identity = await self.store.find_identity(channel, external_id)
                if identity is None:
                    raise
                contact, created = await self.store.get_contact(identity.contact_id), False
        else:
            contact = await self.store.get_contact(identity.contact_id)
        merged = {**contact.attributes, **(attributes or {})}
        if merged != contact.attributes or (name and not contact.name):
            await self.store.update_contact(msgspec.structs.replace(contact, attributes=merged,
                                                                    name=contact.name or name))
        conversation = await self.store.latest_conversation(contact.id, channel) \
            or self._first_conversation(contact.id, channel)
        return ContactSession(contact_id=contact.id, conversation_id=conversation.id, created=created)

    async def undelivered(self, conversation_id: str, delivery: Delivery) -> None:
        await self.outbound.undelivered(await self.store.get_conversation(conversation_id), delivery)

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

    @classmethod
    def _first_conversation(cls, contact_id: str, channel: Channel) -> Conversation:
        """A contact's first conversation on a channel, before anything was said: its id is the same for
        every session of theirs (two tabs open the widget; the first message from either begins it)."""
        return cls._unsaved_conversation(contact_id, channel, derived_id(contact_id, f"first:{channel.value}"))

    async def _new_conversation(self, contact_id: str, channel: Channel, conversation_id: str | None = None
                                ) -> Conversation:
        conversation = self._unsaved_conversation(contact_id, channel, conversation_id)
        try:
            await self.store.create_conversation(conversation)
        except Conflict:  # a concurrent first message of the same session created it
            return await self.store.get_conversation(conversation.id)
        return conversation

    async def _reopen_or_renew(self, resolved: Conversation) -> Conversation:
        """A customer wrote to a resolved conversation: reopen it within the window, else begin anew. A later
        conversation of theirs on the channel (begun from another tab or device) is where it goes instead,
        reopened or renewed in turn if need be; the conversation after a resolved one has an id derived from
        it, so that two sessions renewing it at once begin one, not two."""
        latest = await self.store.latest_conversation(resolved.contact_id, resolved.channel)
        if latest is not None and latest.id != resolved.id and latest.created_at >= resolved.created_at:
            if latest.state is not S.RESOLVED:
                return latest
            resolved = latest
        now = utcnow()
        if not may_reopen(resolved.resolved_at, now, self.settings.reopen_window_s):
            renewed = await self._new_conversation(resolved.contact_id, resolved.channel,
                                                   derived_id(resolved.id, "next"))
            if renewed.state is S.RESOLVED:  # begun by another session, and resolved since (clocks apart)
                return await self._reopen_or_renew(renewed)
            return renewed
        try:
            reopened = await self.store.update_conversation(resolved.id, S.RESOLVED, {
                "state": next_state(S.RESOLVED, Transition.REOPEN), "resolved_at": None,
                "agent_id": None, "updated_at": now})
        except Conflict:
            return await self.store.get_conversation(resolved.id)  # another message reopened it first
        await self.announce(reopened, "reopened")
        return reopened

    async def receive(self, inbound: InboundMessage, on_stored: OnStored | None = None) -> Receipt:
        message = Message(id=new_id(), conversation_id=inbound.conversation_id, seq=0, role=Role.CUSTOMER,
                          text=inbound.text, channel=inbound.channel, created_at=utcnow(),
                          external_id=inbound.external_id, meta=inbound.meta, client_id=inbound.client_id)
        appended = await self._append_customer(message, inbound.contact_id)
        stored, conversation = appended.message, appended.conversation
        receipt = Receipt(message_id=stored.id, conversation_id=stored.conversation_id, created=appended.created)
        if on_stored is not None and (pending := on_stored(receipt)) is not None:
            await pending
        if appended.created and stored.conversation_id != inbound.conversation_id:
            await self._moved(inbound.conversation_id, stored.conversation_id)
        if appended.created and conversation is not None:
            await self.publish(await self.message_event(stored), conversation.id, None)
            if conversation.state is S.BOT and inbound.queue_id is not None:
                await self.handoff(conversation, "customer_request", queue_id=inbound.queue_id)
            elif conversation.state is S.BOT and not inbound.readable:
                await self.outbound.unreadable(conversation)
            elif conversation.state is S.BOT:
                await self._ask_bot(conversation, stored)
            elif conversation.state is S.ASSIGNED and conversation.agent_id and self.assisting.active:
                self.assisting.later(self.assisting.push(conversation.agent_id, conversation, stored))
        else:
            await self._resume_turn(stored)
        return receipt

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
            resolved = await self.store.get_conversation(message.conversation_id)
            rating = self.satisfaction.rating_in(resolved, message.text)
            if rating is not None:  # the answer to "please rate us": kept with the resolved conversation
                appended = await self.store.add_message(message)
                if appended.created:
                    await self.satisfaction.rate(resolved.id, rating)
                    await self.outbound.rated(resolved)
                return appended
            current = await self._reopen_or_renew(resolved)
            return await self.store.add_message(msgspec.structs.replace(message, conversation_id=current.id))

    async def _moved(self, previous_id: str, conversation_id: str) -> None:
        """Sent on the old conversation once the sender's own session follows the new one (``on_stored``)."""
        await self.publish(MovedEvent(conversation_id=conversation_id, previous_id=previous_id), previous_id, None)

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

    # ----- the bot, agent assist and the queue ------------------------------------------------
    async def _ask_bot(self, conversation: Conversation, message: Message) -> None:
        """One answer per message: a resend that comes while its first turn is still being answered here
        (the customer lost the socket before the ack) waits for nothing and asks nothing."""
        turn = (conversation.id, message.seq)
        if turn in self._answering:
            return
        self._answering.add(turn)
        try:
            await self.turns.ask(conversation, message)
        finally:
            self._answering.discard(turn)

    async def feedback(self, conversation_id: str, message_id: str, helpful: bool, comment: str | None) -> None:
        await self.turns.feedback(conversation_id, message_id, helpful, comment)

    async def rate_conversation(self, conversation_id: str, rating: int, comment: str | None) -> None:
        try:
            await self.satisfaction.rate(conversation_id, rating, comment)
        except NotFound:  # the session's conversation has not begun (nothing said yet): nothing to rate
            raise Conflict("a conversation is rated once it is resolved", code="not_resolved") from None

    async def attachment(self, contact_id: str, file_id: str) -> StoredFile:
        return await self.attachments.of_contact(file_id, contact_id)

    async def typing(self, conversation_id: str) -> None:
        await self.publish(TypingEvent(conversation_id=conversation_id, role=Role.CUSTOMER), conversation_id, None)

    async def agent_typing(self, user: User, conversation_id: str) -> None:
        """The agent is typing a reply: their customer sees it (nothing is stored)."""
        conversation = await self.work.writable_by(user, conversation_id)
        await self.publish(TypingEvent(conversation_id=conversation.id, role=Role.AGENT), conversation.id, None)

    async def keep_file(self, contact_id: str, data: bytes, name: str) -> StoredFile:
        return await self.attachments.keep(data, name, contact_id)

    async def read_file(self, file_id: str) -> tuple[StoredFile, bytes]:
        return await self.store.get_file(file_id)

    async def customer_of(self, channel: Channel, token: str | None) -> str:
        """The contact whose chat session the token opens (Unauthorized if none)."""
        identity = await self.store.find_identity(channel, token_fingerprint(token)) if token else None
        if identity is None:
            raise Unauthorized("this chat session is unknown or has expired")
        return identity.contact_id

    async def latest_assistance(self, user: User, conversation_id: str) -> SuggestionsEvent:
        return await self.assisting.latest(await self.work.assigned_to(user, conversation_id))

    async def say(self, conversation: Conversation, role: Role, text: str, source: str | None = None) -> Message:
        message = (await self.store.add_message(Message(
            id=new_id(), conversation_id=conversation.id, seq=0, role=role, text=text,
            channel=conversation.channel, created_at=utcnow(), source=source))).message
        await self.publish(await self.message_event(message), conversation.id, None)
        await self.outbound.push(conversation, message)
        return message

    async def handoff(self, conversation: Conversation, reason: str, summary: str | None = None,
                      suggestions: Sequence[Suggested] = (), queue_id: str | None = None,
                      agent_id: str | None = None) -> None:
        """To a person: into ``queue_id`` (else the first queue serving the channel), for ``agent_id`` first
        when one was asked for."""
        contact = await self.store.get_contact(conversation.contact_id)
        if contact.blocked:
            await self._refuse_blocked(conversation, contact, reason)
            return
        queue = self.acd.queue_for(conversation.channel, queue_id)
        refusal = await self.acd.refusal(queue, contact)
        if refusal is not None:
            await self.say(conversation, Role.SYSTEM, refusal.text)
            if refusal.outside is Outside.BOT_ONLY:
                log.info("queue %s refused %s (%s): stays with the bot", queue.id, conversation.id, refusal.why)
                return
            reason = refusal.reason  # kept for agents, as a ticket or a callback request
        wanted, until = await self.acd.wanted(queue, contact, agent_id)
        now = utcnow()
        try:
            queued = await self.store.update_conversation(conversation.id, S.BOT, {
                "state": next_state(S.BOT, Transition.HANDOFF), "handoff_reason": reason,
                "handoff_summary": summary, "handoff_suggestions": list(suggestions), "queue_id": queue.id,
                "priority": self.acd.priority(queue, contact), "wanted_agent_id": wanted, "wanted_until": until,
                "queued_at": now, "updated_at": now})
        except Conflict:
            return  # another message of the same turn already handed it off
        position, offers = await self.enqueue(queued)
        await self.announce_queued(queued, reason, position)
        await self.outbound.queued(queued, position)
        await self.deliver_offers(offers)

    async def enqueue(self, queued: Conversation, freed: Sequence[str] = ()) -> tuple[int | None, list[Offer]]:
        """Into routing at its priority and matched at once (after ``freed``, agents' released slots);
        if it went ahead of others (a VIP), they hear their new place. Returns its place in line (before
        matching) and the offers made."""
        routed = self.acd.routed(queued)
        position, offers = await self.router.enqueue_and_match(routed, [*freed, *self.acd.triggers(routed)])
        self.queue_changed.set()
        if routed.wanted_agent is None and position is not None and \
                position < await self.router.waiting(routed.queue_id):
            await self.announce_queue([(routed.queue_id, routed.media)])
        return position, offers

    async def _refuse_blocked(self, conversation: Conversation, contact: Contact, reason: str) -> None:
        """A blacklisted contact never reaches an agent: they hear so, and the refusal is logged."""
        log.warning("blocked contact %s asked for a person (%s) in %s; not queued", contact.id, reason,
                    conversation.id)
        await self.say(conversation, Role.SYSTEM, BLOCKED_TEXT["zh" if (contact.locale or "").startswith("zh")
                                                               else "en"])

    async def route(self, triggers: Sequence[str] = (EVERY_QUEUE,)) -> list[Offer]:
        """Offer waiting conversations to free agents, and tell each agent of their offers. ``triggers`` say
        what changed (an agent freed, a queue's arrival); by default every queue is matched."""
        return await self.deliver_offers(await self.router.match(triggers))

    async def deliver_offers(self, offers: Sequence[Offer]) -> list[Offer]:
        """Tell each agent of their offers (those the store no longer agrees with are taken back), and the
        customers behind in those lines of their new places."""
        lines = {line for line in await self.router.lines_of([o.conversation_id for o in offers]) if line}
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
        if lines:
            await self.announce_queue(sorted(lines))
        if offers:
            self.queue_changed.set()
        return made

    async def announce_queue(self, lines: Sequence[tuple[str, str]] | None = None, head: int = 100) -> None:
        """Tell the first ``head`` customers waiting in each line (queue, media) their position, after it
        moved; by default in every line."""
        if lines is None:
            lines = [(q.id, media) for q in self.router.queues.values() for media in q.media]
        events = []
        for queue_id, media in lines:
            waiting = await self.router.waiting_head(queue_id, media, head)
            events += [StatusEvent(conversation_id=conversation_id, state=S.QUEUED, queue_position=position,
                                   estimated_wait_s=await self.wallboard.estimated_wait_s(position, queue_id))
                       for position, conversation_id in enumerate(waiting, start=1)]
        await asyncio.gather(*(self.publish(event, event.conversation_id, None) for event in events))

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
        """Concurrent chats (the console shows it)."""
        return self.acd.capacities(user)["chat"]

    async def set_agent_state(self, user: User, state: AgentState, reason: str | None = None) -> None:
        """``reason`` says why an agent is not ready (their own: "lunch"; the hub's: "missed")."""
        if user.role not in CHAT_ROLES:
            raise Forbidden("this account does not take conversations", code="not_an_agent")
        reason = reason if state is AgentState.NOT_READY else None
        now = utcnow()
        await self.store.set_agent_state(user.id, state, now, reason)
        offers = await self.router.set_state(user.id, state.value, self.acd.capacities(user),
                                             self.acd.memberships(user), match=state is AgentState.READY)
        until = None
        if state is AgentState.READY:
            await self.router.clear_missed(user.id)
        elif state is AgentState.WRAP_UP:
            ends = now + timedelta(seconds=self.settings.wrap_up_s)
            await self.router.start_wrap_up(user.id, ms(ends))
            until = iso(ends)
        await self.publish(AgentStateEvent(state=state.value, reason=reason, until=until), None, user.id)
        self.queue_changed.set()
        if state is not AgentState.READY:  # offers to someone who stepped away go to the next agent now
            for offer in await self.router.offers_of(user.id):
                if await self.router.withdraw(offer.conversation_id, user.id) is not None:
                    await self.publish(OfferWithdrawnEvent(conversation_id=offer.conversation_id,
                                                           reason=f"agent_{state.value}"), None, user.id)
        if state is AgentState.READY:
            await self.deliver_offers(offers)
        else:
            await self.route((EVERY_QUEUE,))

    async def leave_routing(self, conversation: Conversation) -> list[str]:
        """Out of routing; returns what to match next (its agent's freed slot is released by that match)."""
        if conversation.state is S.ASSIGNED and conversation.agent_id:
            return [release_trigger(conversation.agent_id, MEDIA[conversation.channel])]
        if conversation.state is S.QUEUED:
            line = await self.router.routed_queue(conversation.id)
            offered_to = await self.router.dequeue(conversation.id)
            if offered_to is not None:
                await self.publish(OfferWithdrawnEvent(conversation_id=conversation.id, reason="resolved"),
                                   None, offered_to)
            if line is not None:
                await self.announce_queue([line])
        return [EVERY_QUEUE]

    async def conversations_of(self, user: User, states: Sequence[ConversationState]) -> list[Conversation]:
        return await self.store.conversations_of_agent(user.id, states)

    async def watch_agent(self, agent_id: str, handler: Callable[[str], None]) -> None:
        await self.bus.subscribe(keys.agent_events(agent_id), handler)

    async def unwatch_agent(self, agent_id: str, handler: Callable[[str], None]) -> None:
        await self.bus.unsubscribe(keys.agent_events(agent_id), handler)

    async def watch_queues(self, handler: Callable[[str], None]) -> None:
        """Live queue statistics (``queue_stats`` frames), for supervisors and admins."""
        await self.bus.subscribe(keys.SUPERVISOR_EVENTS, handler)

    async def unwatch_queues(self, handler: Callable[[str], None]) -> None:
        await self.bus.unsubscribe(keys.SUPERVISOR_EVENTS, handler)
