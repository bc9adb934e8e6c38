"""The bot's part of a conversation: a customer turn put to the bot, its decision carried out, and the
customer's feedback on its answers. Part of the pipeline's wiring (``Pipeline.turns``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.handoff import NEGATIVE_FEEDBACK
from hub.envelopes import BotDecision, BotView, Turn
from hub.errors import NotFound
from hub.ids import new_id
from hub.models import Conversation, ConversationState, Message, Role, utcnow
from kb.feedback import Feedback, Miss

if TYPE_CHECKING:
    from hub.pipeline import Pipeline

BOT_MEMORY = 10  # earlier messages the bot sees


class BotTurns:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.store = pipeline.store
        self.bot = pipeline.bot

    async def ask(self, conversation: Conversation, message: Message) -> None:
        view = await self.view(conversation, message)
        decision = await self.bot.respond(view)
        if decision.missed:
            await self._log_miss(conversation, message, decision)
        if decision.hands_off:
            await self.pipeline.handoff(conversation, decision.handoff_reason or "bot", decision.summary,
                                        decision.suggestions)
        elif decision.reply:
            await self.pipeline.say(conversation, Role.BOT, decision.reply, decision.source)

    async def view(self, conversation: Conversation, message: Message) -> BotView:
        earlier = await self.store.messages(conversation.id, max(0, message.seq - 1 - BOT_MEMORY), BOT_MEMORY)
        contact = await self.store.get_contact(conversation.contact_id)
        return BotView(conversation_id=conversation.id, channel=conversation.channel, text=message.text,
                       locale=contact.locale, earlier=[Turn(role=m.role, text=m.text, source=m.source)
                                                       for m in earlier if m.seq < message.seq and not m.internal])

    async def _log_miss(self, conversation: Conversation, message: Message, decision: BotDecision) -> None:
        best = decision.suggestions[0].ref if decision.suggestions else None
        await self.store.knowledge.add_miss(Miss(
            id=new_id(), text=message.text, channel=conversation.channel, conversation_id=conversation.id,
            reason=decision.handoff_reason or (decision.source or "missed"), confidence=decision.confidence,
            best_ref=best, created_at=utcnow()))

    async def feedback(self, conversation_id: str, message_id: str, helpful: bool, comment: str | None) -> None:
        """A customer's verdict on a bot answer; "not helpful" hands the conversation to a person."""
        answer = next((m for m in await self.store.messages(conversation_id) if m.id == message_id), None)
        if answer is None or answer.role is not Role.BOT or not answer.source or "@" not in answer.source:
            raise NotFound("there is no bot answer with that id in this conversation", code="unknown_message")
        await self.store.knowledge.put_feedback(Feedback(
            message_id=message_id, conversation_id=conversation_id, article_ref=answer.source, helpful=helpful,
            comment=comment, created_at=utcnow()))
        conversation = await self.store.get_conversation(conversation_id)
        if not helpful and conversation.state is ConversationState.BOT and self.bot.policy.on_negative_feedback:
            view = await self.view(conversation, answer)
            found = await self.bot.search(view.text, conversation.channel)
            decision = self.bot.handoff(view, NEGATIVE_FEEDBACK, found)
            await self.pipeline.handoff(conversation, NEGATIVE_FEEDBACK, decision.summary, decision.suggestions)
