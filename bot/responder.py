"""The bot's decision for one customer turn.

Until the knowledge base lands the bot has nothing to answer from, so every conversation goes to a
person; the reason says whether the customer asked for one or the bot had no knowledge.
"""

from __future__ import annotations

from bot.handoff import CUSTOMER_REQUEST, NO_KNOWLEDGE, asks_for_person
from hub.envelopes import BotDecision


class Bot:
    async def respond(self, text: str) -> BotDecision:
        reason = CUSTOMER_REQUEST if asks_for_person(text) else NO_KNOWLEDGE
        return BotDecision(handoff_reason=reason)
