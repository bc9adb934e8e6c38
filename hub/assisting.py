"""Agent assist in the pipeline: suggested replies pushed to the agent working a conversation, for each
customer message and on accept, without delaying the customer's ack (``Pipeline.assisting``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from bot.assist import Assistant
from hub.bot_turns import BOT_MEMORY
from hub.envelopes import SuggestionsEvent
from hub.models import Conversation, Message, Role

if TYPE_CHECKING:
    from hub.pipeline import Pipeline

log = logging.getLogger(__name__)


class Assisting:
    def __init__(self, pipeline: Pipeline, assistant: Assistant) -> None:
        self.pipeline = pipeline
        self.assistant = assistant
        self._background: set[asyncio.Task[None]] = set()

    @property
    def active(self) -> bool:
        """There is something to suggest from (with an empty knowledge base, no task is made per message)."""
        return not self.assistant.idle

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run work that must not delay the customer's ack; its failure is logged, never raised."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("agent assist failed", exc_info=task.exception())

    async def push(self, agent_id: str, conversation: Conversation, message: Message) -> None:
        """Suggested replies for the customer's message, to the agent working the conversation."""
        event = await self._for(conversation, message)
        if event.suggestions or event.draft:
            await self.pipeline.publish(event, None, agent_id)

    async def on_accept(self, agent_id: str, conversation: Conversation) -> None:
        last = await self._last_from_customer(conversation)
        if last is not None:
            await self.push(agent_id, conversation, last)

    async def latest(self, conversation: Conversation) -> SuggestionsEvent:
        """Agent assist on demand: for the conversation's latest customer message."""
        last = await self._last_from_customer(conversation)
        if last is None:
            return SuggestionsEvent(conversation_id=conversation.id, message_id="")
        return await self._for(conversation, last)

    async def _for(self, conversation: Conversation, message: Message) -> SuggestionsEvent:
        help_ = await self.assistant.assist(message.text, conversation.channel)
        return SuggestionsEvent(conversation_id=conversation.id, message_id=message.id,
                                suggestions=help_.suggestions, draft=help_.draft)

    async def _last_from_customer(self, conversation: Conversation) -> Message | None:
        recent = await self.pipeline.store.messages(conversation.id, max(0, conversation.last_seq - BOT_MEMORY))
        return next((m for m in reversed(recent) if m.role is Role.CUSTOMER), None)
