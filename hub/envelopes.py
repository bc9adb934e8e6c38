"""The values that cross package lines: what connectors hand in and get back, what the bot decides."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeAlias

import msgspec

from hub.models import Channel, ConversationState, Role, StoredFile, Suggested


class InboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A customer's message as a connector parsed it, in the hub's own terms."""

    channel: Channel
    conversation_id: str
    text: str
    external_id: str | None = None  # the channel's own id for the message: resends dedupe on it
    client_id: str | None = None  # the sender's id for it, echoed in the message event
    contact_id: str | None = None  # the session's contact: its first message begins the conversation
    meta: dict[str, str] = {}  # the channel's details, kept with the message (see Message.meta)
    queue_id: str | None = None  # the customer asked for a person in this queue (a WeChat menu key)
    readable: bool = True  # False: nothing the bot can read (a picture, a type the channel does not know)


class OutboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    """Something that must reach the customer through the conversation's connector."""

    conversation_id: str
    message_id: str
    role: Role
    text: str
    to: str  # the contact's address on the channel (their identity's external id)
    meta: dict[str, str] = {}  # an attachment's file_id, file_name, content_type (read it with read_file)


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """What a connector reports after it tried to send an OutboundMessage."""

    message_id: str
    delivered: bool
    detail: str | None = None  # for the agent, when it was not delivered
    reason: str | None = None  # a stable code for that ("outside_window", "too_many_messages", "unavailable")


class Turn(msgspec.Struct, frozen=True, kw_only=True):
    role: Role
    text: str
    source: str | None = None


class BotView(msgspec.Struct, frozen=True, kw_only=True):
    """What the bot sees of a conversation when a customer's message waits for it."""

    conversation_id: str
    channel: Channel
    text: str
    locale: str | None = None
    earlier: list[Turn] = []  # the turns before ``text``, oldest first (the last few only)


class BotDecision(msgspec.Struct, frozen=True, kw_only=True):
    """The bot either answers (``reply``, from ``source``) or hands off to a person with a recorded reason,
    a summary and its best KB suggestions for the agent. ``missed`` marks a question the KB could not
    answer well, for the editors' log."""

    reply: str | None = None
    source: str | None = None
    handoff_reason: str | None = None
    summary: str | None = None
    suggestions: list[Suggested] = []
    confidence: float | None = None
    missed: bool = False

    @property
    def hands_off(self) -> bool:
        return self.handoff_reason is not None


class Assistance(msgspec.Struct, frozen=True, kw_only=True):
    """What agent assist offers for one customer message."""

    suggestions: list[Suggested] = []
    draft: str | None = None  # an LLM-written reply, when a model is configured


class MessageEvent(msgspec.Struct, tag="message", tag_field="type", kw_only=True, omit_defaults=True):
    """A message of a conversation, as every websocket (customer or agent) receives it."""

    id: str
    conversation_id: str
    seq: int
    role: Role
    text: str
    created_at: str
    author: str | None = None
    client_id: str | None = None
    source: str | None = None
    internal: bool = False  # staff only (whispers): never on the customer's socket
    meta: dict[str, str] = {}  # the channel's details (see Message.meta)


class StatusEvent(msgspec.Struct, tag="status", tag_field="type", kw_only=True, omit_defaults=True):
    conversation_id: str
    state: ConversationState
    queue_position: int | None = None
    estimated_wait_s: float | None = None  # from recent handle times and the ready agents' free slots
    agent: str | None = None
    reason: str | None = None
    last_seq: int | None = None  # on assignment: the agent's sockets catch up from here
    csat: int | None = None  # resolved: the customer's rating, once given (the widget asks until then)
    on_hold: bool = False  # assigned: the agent asked the customer to hold on for a moment


class OfferEvent(msgspec.Struct, tag="offer", tag_field="type", kw_only=True, omit_defaults=True):
    conversation_id: str
    channel: Channel
    expires_at: str
    contact: str | None = None
    preview: str | None = None
    reason: str | None = None
    summary: str | None = None
    suggestions: list[Suggested] = []


class OfferWithdrawnEvent(msgspec.Struct, tag="offer_withdrawn", tag_field="type", kw_only=True):
    conversation_id: str
    reason: str


class SuggestionsEvent(msgspec.Struct, tag="suggestions", tag_field="type", kw_only=True, omit_defaults=True):
    """Agent assist for the conversation's latest customer message, to its agent only."""

    conversation_id: str
    message_id: str
    suggestions: list[Suggested] = []
    draft: str | None = None


class AgentStateEvent(msgspec.Struct, tag="agent_state", tag_field="type", kw_only=True, omit_defaults=True):
    """The agent's own presence state changed (by them, another of their consoles, or the hub)."""

    state: str
    reason: str | None = None
    until: str | None = None  # wrap-up: when it ends by itself


class TypingEvent(msgspec.Struct, tag="typing", tag_field="type", kw_only=True):
    """Someone in the conversation is typing (the customer, or its agent): shown for a few seconds."""

    conversation_id: str
    role: Role


class UndeliveredEvent(msgspec.Struct, tag="undelivered", tag_field="type", kw_only=True, omit_defaults=True):
    """A message the channel did not take (WeChat: outside the 48-hour window...), for the agent."""

    conversation_id: str
    message_id: str
    reason: str
    detail: str


class MovedEvent(msgspec.Struct, tag="moved", tag_field="type", kw_only=True):
    """The customer's conversation went on in another: a message from another of their sessions (a second tab,
    another device) began ``conversation_id`` after ``previous_id`` was resolved. Sent on the old one, so that
    every session still following it can follow the new one."""

    conversation_id: str
    previous_id: str


Event = (MessageEvent | StatusEvent | OfferEvent | OfferWithdrawnEvent | SuggestionsEvent | AgentStateEvent
         | UndeliveredEvent | TypingEvent | MovedEvent)


class Session(msgspec.Struct, frozen=True, kw_only=True):
    """A customer's chat session: the conversation they are in and what they have not yet seen."""

    conversation_id: str
    contact_id: str
    token: str
    history: list[MessageEvent]
    status: StatusEvent


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    """The store committed the message (or already had it: ``created`` is False for a resend)."""

    message_id: str
    conversation_id: str
    created: bool


# Called with the receipt once the message is stored; may return an awaitable, which is awaited.
OnStored: TypeAlias = Callable[[Receipt], Awaitable[None] | None]


class ChatHub(Protocol):
    """What a realtime connector may ask of the hub. The pipeline implements it."""

    async def open_session(
        self, channel: Channel, token: str | None, name: str | None, locale: str | None, after_seq: int = 0,
        known_conversation_id: str | None = None,
    ) -> Session: ...

    async def receive(self, inbound: InboundMessage, on_stored: OnStored | None = None) -> Receipt:
        """Store the customer's message, then do what follows (the bot's answer...). ``on_stored`` is called
        (and awaited, when it returns an awaitable) as soon as the store committed it, before anything of the
        message is published: for a channel that must acknowledge before the rest is done, or must first
        follow the conversation the message went to."""

    async def feedback(self, conversation_id: str, message_id: str, helpful: bool, comment: str | None) -> None:
        """Store the customer's verdict on a bot answer (NotFound if there is no such answer)."""

    async def rate_conversation(self, conversation_id: str, rating: int, comment: str | None) -> None:
        """Keep the customer's 1-5 rating of a resolved conversation (Conflict: not resolved, or rated)."""

    async def attachment(self, contact_id: str, file_id: str) -> StoredFile:
        """The contact's own uploaded file (NotFound for any other)."""

    async def typing(self, conversation_id: str) -> None:
        """The customer is typing: their agent sees it."""

    async def watch(self, conversation_id: str, handler: Callable[[str], None]) -> None: ...

    async def unwatch(self, conversation_id: str, handler: Callable[[str], None]) -> None: ...


class ContactSession(msgspec.Struct, frozen=True, kw_only=True):
    """A push channel's customer: their contact and the conversation their next message goes to."""

    contact_id: str
    conversation_id: str
    created: bool  # the contact is new


class PushHub(Protocol):
    """What a push connector (replies through the vendor's API) may ask of the hub."""

    async def contact_session(self, channel: Channel, external_id: str, locale: str | None = None,
                              attributes: dict[str, str] | None = None, name: str | None = None) -> ContactSession:
        """Find the contact by their address on the channel (or make them), with ``attributes`` merged in
        and ``name`` given them if they have none."""

    async def receive(self, inbound: InboundMessage, on_stored: OnStored | None = None) -> Receipt:
        ...

    async def undelivered(self, conversation_id: str, delivery: Delivery) -> None:
        """A message the connector had taken (held for a passive reply) could not be delivered after all."""

    async def keep_file(self, contact_id: str, data: bytes, name: str) -> StoredFile:
        """Keep a customer's media (a picture, a voice message) as an attachment; InvalidInput if not taken."""

    async def read_file(self, file_id: str) -> tuple[StoredFile, bytes]:
        """An attachment to send (an agent's picture); NotFound if there is none."""


class Sender(Protocol):
    """Sends what the hub stored to the customer (a push connector)."""

    async def send(self, outbound: OutboundMessage) -> Delivery: ...
