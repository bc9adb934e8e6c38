"""The customer's satisfaction rating of a conversation, once it is resolved (1-5 and a comment).

The web chat widget shows a survey when the conversation is resolved; a push channel's customer (WeChat) is
asked to reply with a digit, and a bare 1-5 soon after the resolution is taken as their rating rather than
reopening the conversation. Rated once: a later rating is refused.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from hub.errors import Conflict
from hub.models import Conversation, ConversationState, utcnow

if TYPE_CHECKING:
    from hub.pipeline import Pipeline

RATING_WINDOW = timedelta(minutes=30)  # a digit this soon after resolution is a rating
RATINGS = frozenset("12345")


class Satisfaction:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def rate(self, conversation_id: str, rating: int, comment: str | None = None) -> Conversation:
        """Keep the rating of a resolved, not yet rated conversation (Conflict otherwise)."""
        store = self.pipeline.store
        conversation = await store.get_conversation(conversation_id)
        if conversation.state is not ConversationState.RESOLVED:
            raise Conflict("a conversation is rated once it is resolved", code="not_resolved")
        if conversation.csat is not None:
            raise Conflict("this conversation was rated already", code="already_rated")
        try:
            return await store.update_conversation(conversation.id, ConversationState.RESOLVED, {
                "csat": rating, "csat_comment": (comment or "").strip() or None, "rated_at": utcnow()})
        except Conflict:
            raise Conflict("the conversation was reopened meanwhile", code="not_resolved") from None

    def rating_in(self, resolved: Conversation, text: str) -> int | None:
        """A push channel customer's reply that rates ``resolved`` (a bare digit 1-5, soon after), or None."""
        digit = text.strip()
        recent = resolved.resolved_at is not None and utcnow() - resolved.resolved_at <= RATING_WINDOW
        if digit in RATINGS and recent and resolved.csat is None and self.pipeline.outbound.pushes(resolved.channel):
            return int(digit)
        return None
