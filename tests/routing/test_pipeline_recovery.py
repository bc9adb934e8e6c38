"""The pipeline on a real SQLite store and a real Redis, when a step after the commit fails."""

from __future__ import annotations

import pytest

from bot import Bot, Policy
from hub.envelopes import BotDecision, BotView, InboundMessage
from hub.errors import NotFound
from hub.models import Channel, ConversationState
from hub.pipeline import Pipeline
from tests.routing.helpers import agent, chat


class FlakyBot(Bot):
    """The real bot, except that it fails once when told to (as a model server that goes away)."""

    fail_next = False

    async def respond(self, view: BotView) -> BotDecision:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the model server went away")
        return await super().respond(view)


@pytest.fixture
async def pipeline(pipeline_with) -> Pipeline:
    return await pipeline_with(FlakyBot(None, Policy(1.0)))


async def test_a_resend_finishes_the_turn_that_failed_after_the_commit(pipeline: Pipeline) -> None:
    session = await pipeline.open_session(Channel.WEBCHAT, None, "Ma", None)
    inbound = InboundMessage(channel=Channel.WEBCHAT, conversation_id=session.conversation_id, text="help",
                             external_id=f"{session.contact_id}:c1", client_id="c1", contact_id=session.contact_id)
    pipeline.bot.fail_next = True  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        await pipeline.receive(inbound)  # stored, but the customer got an error, not an ack
    stored = await pipeline.store.messages(session.conversation_id)
    assert [m.text for m in stored] == ["help"]
    assert (await pipeline.store.get_conversation(session.conversation_id)).state is ConversationState.BOT
    receipt = await pipeline.receive(inbound)  # the widget resends with the same client_id
    assert not receipt.created and receipt.message_id == stored[0].id
    conversation = await pipeline.store.get_conversation(session.conversation_id)
    assert conversation.state is ConversationState.QUEUED and conversation.handoff_reason == "no_knowledge"
    assert await pipeline.router.position(session.conversation_id) == 1
    assert len(await pipeline.store.messages(session.conversation_id)) == 1


async def test_stale_queue_entries_are_never_offered(pipeline: Pipeline) -> None:
    session = await pipeline.open_session(Channel.WEBCHAT, None, None, None)
    await pipeline.router.enqueue(chat(session.conversation_id, 1))  # Redis says waiting; the store says bot
    await agent(pipeline.router, "agent-x", "ready", 3)
    assert await pipeline.route() == []
    assert (await pipeline.router.agent_load("agent-x")).load == 0
    assert await pipeline.router.waiting() == 0


async def test_a_conversation_is_stored_from_its_first_message_not_from_hello(pipeline: Pipeline) -> None:
    session = await pipeline.open_session(Channel.WEBCHAT, None, "Visitor", "zh-CN")
    with pytest.raises(NotFound):
        await pipeline.store.get_conversation(session.conversation_id)
    again = await pipeline.open_session(Channel.WEBCHAT, session.token, None, None)
    assert again.contact_id == session.contact_id
    inbound = InboundMessage(channel=Channel.WEBCHAT, conversation_id=again.conversation_id, text="你好",
                             external_id=f"{again.contact_id}:c1", client_id="c1", contact_id=again.contact_id)
    receipt = await pipeline.receive(inbound)
    stored = await pipeline.store.get_conversation(receipt.conversation_id)
    assert stored.id == again.conversation_id and stored.contact_id == session.contact_id
    resumed = await pipeline.open_session(Channel.WEBCHAT, session.token, None, None)
    assert resumed.conversation_id == stored.id and [m.text for m in resumed.history] == ["你好"]
