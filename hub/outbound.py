"""Messages to customers on push channels (WeChat): what the hub stored leaves through the channel's API.

A web chat customer holds a socket and gets every message and status through the bus. A push channel's
customer does not: each message for them (the bot's, an agent's, the hub's; never an internal note) is
handed to the channel's Sender once it is stored, and what a widget shows as status (waiting, and where;
who serves them) reaches them as a message. What the channel refuses is told to the agent: an internal
note in the conversation, and an ``undelivered`` event on the sockets following it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from hub.acd import lang_of
from hub.envelopes import Delivery, OutboundMessage, Sender, UndeliveredEvent
from hub.ids import new_id
from hub.models import Channel, Conversation, Message, Role, utcnow

if TYPE_CHECKING:
    from hub.pipeline import Pipeline

log = logging.getLogger(__name__)

NOTICES = {
    "queued": {"en": "Connecting you to an agent; please wait.", "zh": "正在为您转接人工客服，请稍候。"},
    "position": {"en": " You are number {position} in the queue.", "zh": "您前面还有 {ahead} 位。"},
    "assigned": {"en": "{agent} will help you now.", "zh": "客服{agent}为您服务。"},
    "resolved": {"en": "This conversation is closed. Thank you for contacting us. Please rate it: reply with a "
                       "number from 1 to 5 (5 = very satisfied).",
                 "zh": "本次服务已结束，感谢您的咨询。请回复数字 1-5 为本次服务打分（5 为非常满意）。"},
    "rated": {"en": "Thank you for your rating!", "zh": "感谢您的评价！"},
    "held": {"en": "Please hold on: your agent is checking something for you and will be right back.",
             "zh": "请稍候，客服正在为您查询，马上回来。"},
    "resumed": {"en": "Thank you for waiting.", "zh": "感谢您的耐心等待。"},
    "unreadable": {"en": "I can only read text messages for now. To talk to a person, say \"agent\".",
                   "zh": "我目前只能阅读文字消息。如需人工客服，请回复“转人工”。"},
}


class Outbound:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.senders: dict[Channel, Sender] = {}

    def pushes(self, channel: Channel) -> bool:
        return channel in self.senders

    async def push(self, conversation: Conversation, message: Message) -> None:
        """Send a stored message to the customer, if their channel is a push channel."""
        sender = self.senders.get(conversation.channel)
        if sender is None or message.internal or message.role is Role.CUSTOMER:
            return
        identity = await self.pipeline.store.identity_of(conversation.contact_id, conversation.channel)
        if identity is None:
            log.warning("conversation %s: its contact has no %s address; message %s not sent", conversation.id,
                        conversation.channel, message.id)
            return
        delivery = await sender.send(OutboundMessage(conversation_id=conversation.id, message_id=message.id,
                                                     role=message.role, text=message.text, to=identity.external_id,
                                                     meta=message.meta))
        if not delivery.delivered:
            await self.undelivered(conversation, delivery)

    async def undelivered(self, conversation: Conversation, delivery: Delivery) -> None:
        """Tell the agent (a note in the conversation, and an event on its sockets)."""
        reason, detail = delivery.reason or "rejected", delivery.detail or "the channel refused it"
        log.info("message %s of %s not delivered (%s)", delivery.message_id, conversation.id, reason)
        note = (await self.pipeline.store.add_message(Message(  # for staff; the console words it from meta
            id=new_id(), conversation_id=conversation.id, seq=0, role=Role.SYSTEM, internal=True,
            text=f"Not delivered to the customer: {detail}", channel=conversation.channel, created_at=utcnow(),
            meta={"undelivered": delivery.message_id, "reason": reason}))).message
        if conversation.agent_id is not None:  # staff only: never on a conversation's customer sockets
            await self.pipeline.publish(await self.pipeline.message_event(note), None, conversation.agent_id)
            await self.pipeline.publish(UndeliveredEvent(
                conversation_id=conversation.id, message_id=delivery.message_id, reason=reason, detail=detail),
                None, conversation.agent_id)

    async def queued(self, conversation: Conversation, position: int | None) -> None:
        """A push channel's customer hears they wait for an agent, and where."""
        await self._notice(conversation, "queued", extra="position" if position is not None and position > 1
                           else None, position=position, ahead=(position or 1) - 1)

    async def assigned(self, conversation: Conversation, agent: str) -> None:
        await self._notice(conversation, "assigned", agent=agent)

    async def resolved(self, conversation: Conversation) -> None:
        await self._notice(conversation, "resolved")

    async def held(self, conversation: Conversation) -> None:
        await self._notice(conversation, "held")

    async def resumed(self, conversation: Conversation) -> None:
        await self._notice(conversation, "resumed")

    async def rated(self, conversation: Conversation) -> None:
        await self._notice(conversation, "rated")

    async def unreadable(self, conversation: Conversation) -> None:
        """The bot got something it cannot read (a picture, an unknown type): it says so, on every channel."""
        lang = lang_of(await self.pipeline.store.get_contact(conversation.contact_id))
        await self.pipeline.say(conversation, Role.BOT, NOTICES["unreadable"][lang])

    async def _notice(self, conversation: Conversation, key: str, role: Role = Role.SYSTEM,
                      extra: str | None = None, **values: object) -> None:
        """What a widget would show (status), said as a message to a push channel's customer."""
        if not self.pushes(conversation.channel):
            return
        lang = lang_of(await self.pipeline.store.get_contact(conversation.contact_id))
        text = NOTICES[key][lang].format(**values) + (NOTICES[extra][lang].format(**values) if extra else "")
        await self.pipeline.say(conversation, role, text)
