"""The values that cross package lines: what connectors hand in and get back, what the bot decides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import msgspec

from hub.models import Channel, ConversationState, Role, Suggested


class InboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A customer's message as a connector parsed it, in the hub's own terms."""

    channel: Channel
    conversation_id: str
    text: str
    external_id: str | None = None  # the channel's own id for the message: resends dedupe on it
    client_id: str | None = None  # the sender's id for it, echoed in the message event
    contact_id: str | None = None  # the session's contact: its first message begins the conversation


class OutboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    """Something that must reach the customer through the conversation's connector."""

    conversation_id: str
    message_id: str
    role: Role
    text: str


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """What a connector reports after it tried to send an OutboundMessage."""

    message_id: str
    delivered: bool
    detail: str | None = None


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


class StatusEvent(msgspec.Struct, tag="status", tag_field="type", kw_only=True, omit_defaults=True):
    conversation_id: str
    state: ConversationState
    queue_position: int | None = None
    estimated_wait_s: float | None = None  # from recent handle times and the ready agents' free slots
    agent: str | None = None
    reason: str | None = None
    last_seq: int | None = None  # on assignment: the agent's sockets catch up from here


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


Event = MessageEvent | StatusEvent | OfferEvent | OfferWithdrawnEvent | SuggestionsEvent | AgentStateEvent


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


class ChatHub(Protocol):
    """What a realtime connector may ask of the hub. The pipeline implements it."""

    async def open_session(
        self, channel: Channel, token: str | None, name: str | None, locale: str | None, after_seq: int = 0,
        known_conversation_id: str | None = None,
    ) -> Session: ...

    async def receive(self, inbound: InboundMessage) -> Receipt: ...

    async def feedback(self, conversation_id: str, message_id: str, helpful: bool, comment: str | None) -> None:
        """Store the customer's verdict on a bot answer (NotFound if there is no such answer)."""

    async def watch(self, conversation_id: str, handler: Callable[[str], None]) -> None: ...

    async def unwatch(self, conversation_id: str, handler: Callable[[str], None]) -> None: ...
