"""Agent assist: suggested replies for the conversation an agent is working, refreshed per customer message.

The suggestions are the live KB's best answers for the customer's latest message, in the conversation
channel's variant, plus a draft written by the LLM when one is configured (grounded in the same answers).
"""

from __future__ import annotations

from bot.responder import AnswerWriter, KnowledgeSource, suggested
from hub.envelopes import Assistance
from hub.models import Channel

LIMIT = 3


class Assistant:
    def __init__(self, knowledge: KnowledgeSource | None, writer: AnswerWriter | None = None,
                 limit: int = LIMIT) -> None:
        self.knowledge = knowledge
        self.writer = writer
        self.limit = limit

    @property
    def idle(self) -> bool:
        """Nothing to suggest from (no live article, so no draft either)."""
        return self.knowledge is None or not self.knowledge.size

    async def assist(self, text: str, channel: Channel) -> Assistance:
        if self.knowledge is None:
            return Assistance()
        found = await self.knowledge.search(text, channel)
        draft = await self.writer.write(text, found) if self.writer is not None and found.suggestions else None
        return Assistance(suggestions=suggested(found, self.limit), draft=draft)
