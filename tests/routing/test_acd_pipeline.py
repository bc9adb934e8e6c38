"""The ACD through the pipeline (real SQLite, real Redis): business hours and holidays, a full queue, sticky
routing, a specified agent, per-queue base priority, transfer to another queue, rebuilding from the store."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from redis.asyncio import Redis

from bot import Bot, Policy
from hub import keys
from hub.envelopes import InboundMessage
from hub.ids import new_id
from hub.models import AgentState, Channel, ConversationState, Role, User, UserRole, utcnow
from hub.pipeline import Pipeline
from hub.presence import GRACE
from hub.routing.queues import Hours, Outside, OverflowStep, QueueSpec, Strategy
from hub.upkeep import Upkeep

S = ConversationState
ALL_DAY = {day: [("00:00", "24:00")] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
async def pipeline(pipeline_with) -> Pipeline:
    return await pipeline_with(Bot(None, Policy(1.0)))


async def queues(pipeline: Pipeline, *specs: QueueSpec) -> None:
    await pipeline.router.configure(list(specs))


async def agent(pipeline: Pipeline, name: str, skills: dict[str, int] | None = None, ready: bool = True,
                chats: int | None = None) -> User:
    user = User(id=new_id(), username=name, password_hash="x", role=UserRole.AGENT, created_at=utcnow(),
                skills=skills or {}, capacity=chats)
    await pipeline.store.add_user(user)
    if ready:
        await pipeline.set_agent_state(user, AgentState.READY)
    return user


async def customer_asks(pipeline: Pipeline, locale: str | None = None, token: str | None = None,
                        channel: Channel = Channel.WEBCHAT) -> tuple[str, str]:
    """A customer whose first message the bot cannot answer: handed off. Returns (conversation, token)."""
    session = await pipeline.open_session(channel, token, None, locale)
    receipt = await pipeline.receive(InboundMessage(
        channel=channel, conversation_id=session.conversation_id, text="help",
        external_id=f"{session.contact_id}:{new_id()}", client_id="c", contact_id=session.contact_id))
    return receipt.conversation_id, session.token


async def system_texts(pipeline: Pipeline, conversation_id: str) -> list[str]:
    return [m.text for m in await pipeline.store.messages(conversation_id) if m.role is Role.SYSTEM]


async def test_outside_hours_the_customer_stays_with_the_bot(pipeline: Pipeline) -> None:
    await queues(pipeline, QueueSpec(id="day", name="Day", hours=Hours(timezone="Asia/Shanghai", weekly={},
                                                                        announcement="我们的工作时间是9点到18点。")))
    await agent(pipeline, "alice")
    conversation_id, _ = await customer_asks(pipeline, "zh-CN")
    conversation = await pipeline.store.get_conversation(conversation_id)
    assert conversation.state is S.BOT
    texts = await system_texts(pipeline, conversation_id)
    assert texts and texts[-1].startswith("我们的工作时间是9点到18点。") and "工作时间" in texts[-1]
    assert await pipeline.router.waiting() == 0


async def test_on_a_holiday_a_ticket_is_queued_for_when_agents_come(pipeline: Pipeline) -> None:
    today = datetime.now(UTC).date()
    holidays = [today, date.fromordinal(today.toordinal() - 1), date.fromordinal(today.toordinal() + 1)]
    await queues(pipeline, QueueSpec(id="day", name="Day", hours=Hours(timezone="UTC", weekly=ALL_DAY,
                                                                        holidays=holidays, outside=Outside.TICKET)))
    conversation_id, _ = await customer_asks(pipeline, "en")
    conversation = await pipeline.store.get_conversation(conversation_id)
    assert conversation.state is S.QUEUED and conversation.handoff_reason == "closed_ticket"
    assert "We are closed right now." in (await system_texts(pipeline, conversation_id))[-1]
    alice = await agent(pipeline, "alice")
    assert [o.conversation_id for o in await pipeline.router.offers_of(alice.id)] == [conversation_id]


async def test_open_hours_route_as_usual(pipeline: Pipeline) -> None:
    await queues(pipeline, QueueSpec(id="day", name="Day", hours=Hours(timezone="Asia/Shanghai", weekly=ALL_DAY)))
    alice = await agent(pipeline, "alice")
    conversation_id, _ = await customer_asks(pipeline)
    assert [o.conversation_id for o in await pipeline.router.offers_of(alice.id)] == [conversation_id]


async def test_a_full_queue_refuses_more(pipeline: Pipeline) -> None:
    await queues(pipeline, QueueSpec(id="small", name="Small", max_length=1))
    first, _ = await customer_asks(pipeline)
    second, _ = await customer_asks(pipeline, "zh-CN")
    assert (await pipeline.store.get_conversation(first)).state is S.QUEUED
    assert (await pipeline.store.get_conversation(second)).state is S.BOT
    said = (await system_texts(pipeline, second))[-1]
    assert said == "所有客服都在忙，排队人数已满。我可以继续为您解答，或请稍后再联系人工客服。"


async def test_sticky_queue_offers_the_last_agent_first(pipeline: Pipeline) -> None:
    await queues(pipeline, QueueSpec(id="vip", name="VIP", strategy=Strategy.STICKY, wanted_wait_s=60))
    alice = await agent(pipeline, "alice")
    first, token = await customer_asks(pipeline)
    await pipeline.work.accept(alice, first)
    await pipeline.work.resolve(alice, first)
    await pipeline.set_agent_state(alice, AgentState.NOT_READY, "lunch")
    bob = await agent(pipeline, "bob")
    conversation = await pipeline.store.get_conversation(first)
    await pipeline.store.update_conversation(first, S.RESOLVED, {"resolved_at": datetime(2020, 1, 1, tzinfo=UTC)})
    second, _ = await customer_asks(pipeline, token=token)  # past the reopen window: a new conversation
    assert second != conversation.id
    assert await pipeline.router.offers_of(bob.id) == []  # bob is free, but the customer waits for alice
    assert (await pipeline.store.get_conversation(second)).wanted_agent_id == alice.id
    await pipeline.set_agent_state(alice, AgentState.READY)
    assert [o.conversation_id for o in await pipeline.router.offers_of(alice.id)] == [second]


async def test_a_specified_agent_and_a_transfer_to_another_queue(pipeline: Pipeline) -> None:
    await queues(pipeline, QueueSpec(id="sales", name="Sales", skills={"sales": 1}),
                 QueueSpec(id="tech", name="Tech", skills={"tech": 1}))
    seller = await agent(pipeline, "seller", {"sales": 3})
    conversation_id, _ = await customer_asks(pipeline)
    assert (await pipeline.store.get_conversation(conversation_id)).queue_id == "sales"
    await pipeline.work.accept(seller, conversation_id)
    techie = await agent(pipeline, "techie", {"tech": 4})
    other = await agent(pipeline, "other-techie", {"tech": 4})
    await pipeline.work.transfer_to_queue(seller, conversation_id, "tech", agent_id=other.id)
    assert await pipeline.router.offers_of(techie.id) == []
    assert [o.conversation_id for o in await pipeline.router.offers_of(other.id)] == [conversation_id]
    moved = await pipeline.store.get_conversation(conversation_id)
    assert moved.queue_id == "tech" and moved.wanted_agent_id == other.id


async def test_base_priority_puts_a_queue_ahead(pipeline: Pipeline) -> None:
    await queues(pipeline, QueueSpec(id="normal", name="Normal", channels=[Channel.WEBCHAT]),
                 QueueSpec(id="urgent", name="Urgent", channels=[Channel.WECHAT], base_priority=30))
    await customer_asks(pipeline)
    later, _ = await customer_asks(pipeline, channel=Channel.WECHAT)
    assert await pipeline.router.position(later) == 1
    alice = await agent(pipeline, "alice", chats=1)
    assert [o.conversation_id for o in await pipeline.router.offers_of(alice.id)] == [later]


async def test_routing_is_rebuilt_from_the_store_with_queues_and_tiers(pipeline: Pipeline, redis: Redis) -> None:
    await queues(pipeline, QueueSpec(id="sales", name="Sales", skills={"sales": 3}))
    novice = await agent(pipeline, "novice", {"sales": 1})
    conversation_id, _ = await customer_asks(pipeline)
    await redis.flushdb()  # Redis lost everything
    upkeep = Upkeep(pipeline)
    assert await upkeep.rebuild_routing()
    assert await pipeline.router.position(conversation_id) == 1
    assert await pipeline.route() == []  # the novice still lacks the skill
    expert = await agent(pipeline, "expert", {"sales": 5})
    assert [o.conversation_id for o in await pipeline.router.offers_of(expert.id)] == [conversation_id]
    assert (await pipeline.router.agent_load(novice.id)) is not None


async def test_after_redis_lost_everything_present_agents_are_not_swept_offline(pipeline: Pipeline,
                                                                                 redis: Redis) -> None:
    alice = await agent(pipeline, "alice")
    bob = await agent(pipeline, "bob")
    await pipeline.set_agent_state(bob, AgentState.NOT_READY, "lunch")
    await pipeline.presence.join(alice.id)  # alice's console, on this process
    upkeep = Upkeep(pipeline)
    await upkeep.rebuild_routing()
    await redis.delete(keys.presence(bob.id))  # bob's grace is over
    assert not await upkeep.rebuild_routing()  # as at every start: nothing lost, nothing rebuilt...
    assert await redis.zscore(keys.presence(bob.id), GRACE) is None  # ...and no new grace for bob
    await redis.flushdb()  # Redis restarted empty (or every hub was killed): nobody's console is known
    await Upkeep(pipeline).sweep()  # rebuild, then presence: their consoles get a TTL to come back
    assert (await pipeline.store.get_user(alice.id)).agent_state is AgentState.READY
    bob_now = await pipeline.store.get_user(bob.id)
    assert (bob_now.agent_state, bob_now.state_reason) == (AgentState.NOT_READY, "lunch")
    assert await pipeline.router.online() == sorted([alice.id, bob.id])
    assert await pipeline.presence.absent([alice.id, bob.id]) == []
    await redis.zadd(keys.presence(bob.id), {GRACE: 0})  # the TTL passed and bob's console never came back
    await Upkeep(pipeline).sweep()
    assert (await pipeline.store.get_user(bob.id)).agent_state is AgentState.OFFLINE
    assert (await pipeline.store.get_user(alice.id)).agent_state is AgentState.READY  # her console refreshed


async def test_a_wrap_up_under_way_when_redis_lost_everything_still_ends(pipeline: Pipeline, redis: Redis) -> None:
    pipeline.settings = dataclasses.replace(pipeline.settings, wrap_up_s=1)
    alice = await agent(pipeline, "alice")
    first, _ = await customer_asks(pipeline)
    await pipeline.work.accept(alice, first)
    await pipeline.work.resolve(await pipeline.store.get_user(alice.id), first)
    second, _ = await customer_asks(pipeline)
    await redis.flushdb()
    upkeep = Upkeep(pipeline)
    assert await upkeep.rebuild_routing()
    await asyncio.sleep(1.05)
    await upkeep.end_wrap_ups()
    assert (await pipeline.store.get_user(alice.id)).agent_state is AgentState.READY
    assert [o.conversation_id for o in await pipeline.router.offers_of(alice.id)] == [second]


async def test_a_renamed_agent_is_shown_by_the_new_name(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = await agent(pipeline, "alice")
    assert await pipeline.name_of(alice.id) == "alice"
    await pipeline.store.update_user(alice.id, {"display_name": "Alice Wang"})  # by another process
    assert await pipeline.name_of(alice.id) == "alice"  # kept a little while
    monkeypatch.setattr("hub.pipeline.NAME_TTL_S", 0.0)
    pipeline.forget_name(alice.id)  # as the process that renames her does
    assert await pipeline.name_of(alice.id) == "Alice Wang"
    await pipeline.store.update_user(alice.id, {"display_name": "A. Wang"})
    await asyncio.sleep(0.01)
    assert await pipeline.name_of(alice.id) == "A. Wang"  # the time it is kept is over


async def test_wrap_up_holds_offers_until_it_times_out(pipeline: Pipeline) -> None:
    pipeline.settings = dataclasses.replace(pipeline.settings, wrap_up_s=1)
    alice = await agent(pipeline, "alice")
    first, _ = await customer_asks(pipeline)
    await pipeline.work.accept(alice, first)
    await pipeline.work.resolve(await pipeline.store.get_user(alice.id), first)
    assert (await pipeline.store.get_user(alice.id)).agent_state is AgentState.WRAP_UP
    second, _ = await customer_asks(pipeline)
    assert await pipeline.router.offers_of(alice.id) == []  # in wrap-up: nothing offered
    upkeep = Upkeep(pipeline)
    await upkeep.end_wrap_ups()
    assert (await pipeline.store.get_user(alice.id)).agent_state is AgentState.WRAP_UP  # not yet
    await asyncio.sleep(1.05)
    await upkeep.end_wrap_ups()
    assert (await pipeline.store.get_user(alice.id)).agent_state is AgentState.READY
    assert [o.conversation_id for o in await pipeline.router.offers_of(alice.id)] == [second]


async def test_an_agent_who_ends_wrap_up_early_is_not_set_ready_again_later(pipeline: Pipeline) -> None:
    pipeline.settings = dataclasses.replace(pipeline.settings, wrap_up_s=1)
    alice = await agent(pipeline, "alice")
    first, _ = await customer_asks(pipeline)
    await pipeline.work.accept(alice, first)
    await pipeline.work.resolve(await pipeline.store.get_user(alice.id), first)
    await pipeline.set_agent_state(await pipeline.store.get_user(alice.id), AgentState.NOT_READY, "break")
    await asyncio.sleep(1.05)
    await Upkeep(pipeline).end_wrap_ups()
    assert (await pipeline.store.get_user(alice.id)).agent_state is AgentState.NOT_READY


async def test_an_overflow_step_offers_the_customer_a_ticket(pipeline: Pipeline) -> None:
    await queues(pipeline, QueueSpec(id="busy", name="Busy", overflow=[OverflowStep(after_s=1, offer=Outside.TICKET)]))
    conversation_id, _ = await customer_asks(pipeline, "zh-CN")
    assert await pipeline.router.promote() == []  # not yet
    await asyncio.sleep(1.05)
    moved = await pipeline.router.promote()
    assert [(m.conversation_id, m.tier, m.kind) for m in moved] == [(conversation_id, 1, "overflow")]
    for one in moved:
        await pipeline.acd.overflowed(one)
    said = (await system_texts(pipeline, conversation_id))[-1]
    assert said == "抱歉让您久等了。您可以继续等待，也可以直接留言后离开，客服会尽快回复您。"
    assert (await pipeline.store.get_conversation(conversation_id)).state is S.QUEUED  # still waiting


async def test_past_the_max_wait_the_customer_is_offered_a_callback(pipeline: Pipeline) -> None:
    await queues(pipeline, QueueSpec(id="q", name="Q", max_wait_s=1,
                                     hours=Hours(weekly=ALL_DAY, outside=Outside.CALLBACK)))
    conversation_id, _ = await customer_asks(pipeline, "en")
    await asyncio.sleep(1.05)
    for one in await pipeline.router.promote():
        await pipeline.acd.overflowed(one)
    said = (await system_texts(pipeline, conversation_id))[-1]
    assert said == ("Sorry for the wait. You can keep waiting, or leave your phone number here: an agent will call "
                    "you back.")
    assert (await pipeline.store.get_conversation(conversation_id)).state is S.QUEUED


async def test_the_wait_estimate_counts_the_free_slots_of_the_queues_own_agents(pipeline: Pipeline) -> None:
    await queues(pipeline, QueueSpec(id="sales", name="Sales", skills={"sales": 1}, channels=[Channel.WEBCHAT]),
                 QueueSpec(id="tech", name="Tech", skills={"tech": 1}))
    seller = await agent(pipeline, "seller", {"sales": 2}, chats=3)
    first, _ = await customer_asks(pipeline)
    await pipeline.work.accept(seller, first)
    resolved = await pipeline.work.resolve(seller, first)
    assert resolved.resolved_at is not None
    await pipeline.store.update_conversation(first, S.RESOLVED, {"assigned_at": resolved.resolved_at - timedelta(
        seconds=60)})  # a one-minute conversation
    pipeline.wallboard.forget()  # figures are cached for a few seconds
    assert await pipeline.wallboard.estimated_wait_s(1, "sales") == 20.0  # 60 s over the seller's 3 free chats
    assert await pipeline.wallboard.estimated_wait_s(1, "tech") == 60.0  # nobody free there
