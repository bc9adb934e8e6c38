"""The store contract, run on every backend (SQLite, and MongoDB through the wire-protocol server)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.errors import Conflict, NotFound
from hub.ids import new_id
from hub.models import (
    AgentState,
    Channel,
    Contact,
    ContactIdentity,
    Conversation,
    ConversationState,
    Message,
    Role,
    StoredFile,
    User,
    UserRole,
    utcnow,
)
from hub.store.base import ID_BATCH, Store
from hub.store.sqlite import SQLiteStore

S = ConversationState


async def a_contact(store: Store, external_id: str | None = None) -> Contact:
    now = utcnow()
    contact = Contact(id=new_id(), name="Li Lei", locale="zh-CN", created_at=now)
    identity = ContactIdentity(
        channel=Channel.WEBCHAT, external_id=external_id or new_id(), contact_id=contact.id, created_at=now
    )
    await store.create_contact(contact, identity)
    return contact


async def a_conversation(store: Store, contact: Contact, state: S = S.BOT, **extra) -> Conversation:
    now = utcnow()
    conversation = Conversation(
        id=new_id(), contact_id=contact.id, channel=Channel.WEBCHAT, state=state,
        created_at=now, updated_at=now, **extra,
    )
    await store.create_conversation(conversation)
    return conversation


def a_message(conversation: Conversation, text: str, external_id: str | None = None) -> Message:
    return Message(
        id=new_id(), conversation_id=conversation.id, seq=0, role=Role.CUSTOMER, text=text,
        channel=conversation.channel, created_at=utcnow(), external_id=external_id,
    )


def a_user(name: str, role: UserRole = UserRole.AGENT) -> User:
    return User(id=new_id(), username=name, password_hash="x", role=role, created_at=utcnow())


async def test_contact_is_found_through_its_channel_identity(store: Store) -> None:
    contact = await a_contact(store, external_id="tok-1")
    identity = await store.find_identity(Channel.WEBCHAT, "tok-1")
    assert identity is not None and identity.contact_id == contact.id
    assert await store.get_contact(contact.id) == contact
    assert await store.find_identity(Channel.WECHAT, "tok-1") is None


async def test_an_identity_belongs_to_one_contact_only(store: Store) -> None:
    await a_contact(store, external_id="dup")
    with pytest.raises(Conflict):
        await a_contact(store, external_id="dup")


async def test_a_contact_can_have_identities_on_several_channels(store: Store) -> None:
    contact = await a_contact(store)
    wechat = ContactIdentity(channel=Channel.WECHAT, external_id="openid-9", contact_id=contact.id,
                             created_at=utcnow())
    await store.add_identity(wechat)
    found = await store.find_identity(Channel.WECHAT, "openid-9")
    assert found is not None and found.contact_id == contact.id
    with pytest.raises(Conflict):
        await store.add_identity(wechat)
    assert await store.identity_of(contact.id, Channel.WECHAT) == wechat  # the address replies go to
    webchat = await store.identity_of(contact.id, Channel.WEBCHAT)
    assert webchat is not None and webchat.contact_id == contact.id and webchat.external_id != "openid-9"
    assert await store.identity_of(contact.id, Channel.EMAIL) is None


async def test_missing_rows_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.get_contact("nope")
    with pytest.raises(NotFound):
        await store.get_conversation("nope")
    with pytest.raises(NotFound):
        await store.get_user("nope")
    assert await store.get_user_by_name("nobody") is None


async def test_conversation_round_trips_with_timezone_aware_times(store: Store) -> None:
    contact = await a_contact(store)
    conversation = await a_conversation(store, contact)
    loaded = await store.get_conversation(conversation.id)
    assert loaded == conversation
    assert loaded.created_at.tzinfo is not None


async def test_latest_conversation_is_the_newest_of_that_contact_and_channel(store: Store) -> None:
    contact = await a_contact(store)
    assert await store.latest_conversation(contact.id, Channel.WEBCHAT) is None
    await a_conversation(store, contact, S.RESOLVED)
    await asyncio.sleep(0.002)
    newest = await a_conversation(store, contact)
    found = await store.latest_conversation(contact.id, Channel.WEBCHAT)
    assert found is not None and found.id == newest.id


async def test_a_contacts_conversations_on_every_channel_come_newest_first(store: Store) -> None:
    contact, other = await a_contact(store), await a_contact(store)
    assert await store.conversations_of_contact(contact.id) == []
    made = []
    for n, channel in enumerate([Channel.WEBCHAT, Channel.WECHAT, Channel.WEBCHAT]):
        now = utcnow()
        conversation = Conversation(id=new_id(), contact_id=contact.id, channel=channel, state=S.RESOLVED,
                                    created_at=now, updated_at=now, csat=n + 3)
        await store.create_conversation(conversation)
        made.append(conversation)
        await asyncio.sleep(0.002)
    await a_conversation(store, other)
    assert await store.conversations_of_contact(contact.id) == made[::-1]
    assert [c.id for c in await store.conversations_of_contact(contact.id, limit=2)] == [made[2].id, made[1].id]


async def test_update_conversation_is_a_compare_and_set_on_state(store: Store) -> None:
    contact = await a_contact(store)
    conversation = await a_conversation(store, contact)
    now = utcnow()
    updated = await store.update_conversation(
        conversation.id, S.BOT, {"state": S.QUEUED, "queued_at": now, "handoff_reason": "customer_request"}
    )
    assert updated.state is S.QUEUED and updated.handoff_reason == "customer_request"
    assert (await store.get_conversation(conversation.id)) == updated
    with pytest.raises(Conflict):
        await store.update_conversation(conversation.id, S.BOT, {"state": S.QUEUED})
    with pytest.raises(NotFound):
        await store.update_conversation("nope", S.BOT, {"state": S.QUEUED})


async def test_a_transition_can_also_require_the_same_agent(store: Store) -> None:
    contact = await a_contact(store)
    conversation = await a_conversation(store, contact, S.ASSIGNED, agent_id="b")
    with pytest.raises(Conflict) as raised:
        await store.update_conversation(conversation.id, S.ASSIGNED, {"state": S.RESOLVED}, expect_agent="a")
    assert raised.value.code == "not_assigned"
    assert (await store.get_conversation(conversation.id)).state is S.ASSIGNED
    done = await store.update_conversation(conversation.id, S.ASSIGNED, {"state": S.RESOLVED}, expect_agent="b")
    assert done.state is S.RESOLVED


async def test_a_hold_is_kept_with_its_time_and_cleared(store: Store) -> None:
    contact = await a_contact(store)
    conversation = await a_conversation(store, contact, S.ASSIGNED, agent_id="a")
    since = utcnow()
    held = await store.update_conversation(conversation.id, S.ASSIGNED, {"on_hold_since": since}, expect_agent="a")
    assert (await store.get_conversation(conversation.id)).on_hold_since == since == held.on_hold_since
    back = await store.update_conversation(conversation.id, S.ASSIGNED, {"on_hold_since": None, "held_s": 12.5})
    loaded = await store.get_conversation(conversation.id)
    assert loaded == back and (loaded.on_hold_since, loaded.held_s) == (None, 12.5)


async def test_only_one_of_two_racing_transitions_wins(store: Store) -> None:
    contact = await a_contact(store)
    conversation = await a_conversation(store, contact, S.QUEUED, queued_at=utcnow())
    results = await asyncio.gather(
        store.update_conversation(conversation.id, S.QUEUED, {"state": S.ASSIGNED, "agent_id": "a1"}),
        store.update_conversation(conversation.id, S.QUEUED, {"state": S.ASSIGNED, "agent_id": "a2"}),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Conversation"]


async def test_unknown_conversation_fields_are_refused(store: Store) -> None:
    contact = await a_contact(store)
    conversation = await a_conversation(store, contact)
    with pytest.raises(ValueError):
        await store.update_conversation(conversation.id, S.BOT, {"contact_id": "someone-else"})


async def test_queued_conversations_come_oldest_first(store: Store) -> None:
    contact = await a_contact(store)
    start = utcnow()
    late = await a_conversation(store, contact, S.QUEUED, queued_at=start + timedelta(seconds=5))
    early = await a_conversation(store, contact, S.QUEUED, queued_at=start)
    await a_conversation(store, contact, S.BOT)
    queued = await store.conversations_in_state(S.QUEUED)
    assert [c.id for c in queued] == [early.id, late.id]


async def test_conversations_of_agent_filters_by_state(store: Store) -> None:
    contact = await a_contact(store)
    mine = await a_conversation(store, contact, S.ASSIGNED, agent_id="ag")
    await a_conversation(store, contact, S.RESOLVED, agent_id="ag")
    await a_conversation(store, contact, S.ASSIGNED, agent_id="other")
    found = await store.conversations_of_agent("ag", [S.ASSIGNED])
    assert [c.id for c in found] == [mine.id]


async def test_messages_get_consecutive_seq_and_come_back_in_order(store: Store) -> None:
    contact = await a_contact(store)
    conversation = await a_conversation(store, contact)
    stored = [(await store.add_message(a_message(conversation, f"m{i}"))).message for i in range(5)]
    assert [m.seq for m in stored] == [1, 2, 3, 4, 5]
    loaded = await store.messages(conversation.id)
    assert [m.text for m in loaded] == ["m0", "m1", "m2", "m3", "m4"]
    assert loaded == stored
    after = await store.messages(conversation.id, after_seq=3)
    assert [m.text for m in after] == ["m3", "m4"]
    assert len(await store.messages(conversation.id, limit=2)) == 2
    assert (await store.get_conversation(conversation.id)).last_seq == 5


async def test_resend_with_same_external_id_is_not_stored_twice(store: Store) -> None:
    contact = await a_contact(store)
    conversation = await a_conversation(store, contact)
    first, created, _ = await store.add_message(a_message(conversation, "hello", external_id="c1"))
    again, created_again, unchanged = await store.add_message(a_message(conversation, "hello", external_id="c1"))
    assert unchanged is None
    assert created and not created_again
    assert again == first
    assert len(await store.messages(conversation.id)) == 1
    assert await store.find_message(conversation.channel, "c1") == first
    assert await store.find_message(conversation.channel, "c2") is None
    assert await store.find_message(Channel.EMAIL, "c1") is None


async def test_concurrent_resends_store_one_message(store: Store) -> None:
    contact = await a_contact(store)
    conversation = await a_conversation(store, contact)
    results = await asyncio.gather(
        *(store.add_message(a_message(conversation, "x", external_id="same")) for _ in range(8))
    )
    assert sum(r.created for r in results) == 1
    assert len({r.message.id for r in results}) == 1
    assert len(await store.messages(conversation.id)) == 1


async def test_append_returns_the_conversation_it_went_to(store: Store) -> None:
    contact = await a_contact(store)
    conversation = await a_conversation(store, contact, S.ASSIGNED, agent_id="ag")
    appended = await store.add_message(a_message(conversation, "hi"), open_only=True)
    assert appended.created and appended.conversation is not None
    assert appended.conversation.agent_id == "ag" and appended.conversation.last_seq == 1


async def test_open_only_append_refuses_a_resolved_conversation_but_recognises_a_resend(store: Store) -> None:
    contact = await a_contact(store)
    conversation = await a_conversation(store, contact)
    kept = await store.add_message(a_message(conversation, "before", external_id="r1"))
    await store.update_conversation(conversation.id, S.BOT, {"state": S.RESOLVED, "resolved_at": utcnow()})
    with pytest.raises(Conflict) as raised:
        await store.add_message(a_message(conversation, "after"), open_only=True)
    assert raised.value.code == "conversation_resolved"
    resend = await store.add_message(a_message(conversation, "before", external_id="r1"), open_only=True)
    assert resend.message == kept.message and not resend.created
    assert [m.text for m in await store.messages(conversation.id)] == ["before"]
    assert (await store.get_conversation(conversation.id)).last_seq == 1
    assert (await store.add_message(a_message(conversation, "agent note"))).message.seq == 2


async def test_an_agent_message_lands_only_while_the_conversation_is_theirs(store: Store) -> None:
    contact = await a_contact(store)
    conversation = await a_conversation(store, contact, S.ASSIGNED, agent_id="b")
    with pytest.raises(Conflict) as raised:
        await store.add_message(a_message(conversation, "from a"), agent="a")
    assert raised.value.code == "not_assigned"
    assert (await store.add_message(a_message(conversation, "from b"), agent="b")).created
    assert [m.text for m in await store.messages(conversation.id)] == ["from b"]
    assert (await store.get_conversation(conversation.id)).last_seq == 1


async def test_message_for_unknown_conversation_is_refused(store: Store) -> None:
    ghost = Conversation(id="ghost", contact_id="c", channel=Channel.WEBCHAT, state=S.BOT,
                         created_at=utcnow(), updated_at=utcnow())
    with pytest.raises(NotFound):
        await store.add_message(a_message(ghost, "boo"))
    with pytest.raises(NotFound):
        await store.add_message(a_message(ghost, "boo"), open_only=True)


async def test_users_are_unique_by_name_and_keep_agent_state(store: Store) -> None:
    user = a_user("wang")
    await store.add_user(user)
    with pytest.raises(Conflict):
        await store.add_user(a_user("wang"))
    assert await store.get_user(user.id) == user
    assert await store.get_user_by_name("wang") == user
    at = utcnow()
    await store.set_agent_state(user.id, AgentState.READY, at)
    loaded = await store.get_user(user.id)
    assert loaded.agent_state is AgentState.READY and loaded.state_changed_at == at and loaded.state_reason is None
    await store.set_agent_state(user.id, AgentState.NOT_READY, at, "lunch")
    assert (await store.get_user(user.id)).state_reason == "lunch"
    await store.add_user(a_user("admin", UserRole.ADMIN))
    assert [u.username for u in await store.list_users()] == ["admin", "wang"]


async def test_user_names_are_one_regardless_of_case(store: Store) -> None:
    li = a_user("Li.Na")
    await store.add_user(li)
    for taken in ("li.na", "LI.NA", "Ｌｉ.Na"):  # the last in full-width letters
        with pytest.raises(Conflict):
            await store.add_user(a_user(taken))
    assert await store.get_user_by_name("li.NA") == li  # the name as written is kept
    assert [u.username for u in await store.list_users()] == ["Li.Na"]


async def _forget_username_keys(store: Store) -> None:
    """As a store written before user names were unique regardless of case left them."""
    if isinstance(store, SQLiteStore):
        await store.worker.write(lambda db: db.execute(
            "UPDATE users SET username = json_extract(doc, '$.username')"))
    else:
        await store.db.users.update_many({}, {"$unset": {"username_key": ""}})  # type: ignore[attr-defined]


async def test_users_stored_before_names_ignored_case_are_found_regardless_of_case(reopenable_store) -> None:
    store = await reopenable_store()
    wang, li, other_li = a_user("Wang"), a_user("Li"), a_user("li")
    await store.add_user(wang)
    await store.add_user(li)
    await _forget_username_keys(store)
    await store.add_user(other_li)  # possible then: "Li" had no key
    store = await reopenable_store()
    assert await store.get_user_by_name("WANG") == wang
    assert await store.get_user_by_name("li") == other_li  # "Li" cannot sign in now, which the start-up logs
    with pytest.raises(Conflict):
        await store.add_user(a_user("wang"))


async def test_a_users_profile_changes_without_touching_their_state(store: Store) -> None:
    user = a_user("li")
    await store.add_user(user)
    await store.set_agent_state(user.id, AgentState.READY, utcnow())
    changed = await store.update_user(user.id, {"skills": {"billing": 4, "英语": 2}, "team": "A",
                                               "capacities": {"voice": 1, "email": 8}, "capacity": 5})
    loaded = await store.get_user(user.id)
    assert loaded == changed and loaded.agent_state is AgentState.READY
    assert loaded.skills == {"billing": 4, "英语": 2} and loaded.team == "A" and loaded.capacities["email"] == 8
    with pytest.raises(NotFound):
        await store.update_user("nobody", {"team": "B"})
    with pytest.raises(ValueError):
        await store.update_user(user.id, {"password_hash": "x"})


async def test_configuration_documents_are_kept_and_replaced(store: Store) -> None:
    assert await store.get_config("queues") is None
    await store.put_config("queues", '{"queues": []}')
    await store.put_config("queues", '{"queues": [1]}')
    assert await store.get_config("queues") == '{"queues": [1]}'


async def test_data_survives_reopening_the_store(reopenable_store) -> None:
    store = await reopenable_store()
    contact = await a_contact(store, external_id="persist")
    conversation = await a_conversation(store, contact)
    await store.add_message(a_message(conversation, "kept", external_id="k"))
    await store.close()
    store = await reopenable_store()
    assert [m.text for m in await store.messages(conversation.id)] == ["kept"]
    assert (await store.find_identity(Channel.WEBCHAT, "persist")) is not None


async def test_the_days_traffic_is_every_conversation_queued_or_created_since(store: Store) -> None:
    contact = await a_contact(store)
    now = utcnow()
    old = await a_conversation(store, contact, S.RESOLVED, queued_at=now - timedelta(days=1))
    waiting = await a_conversation(store, contact, S.QUEUED, queued_at=now)
    talking = await a_conversation(store, contact, S.BOT)
    found = {c.id for c in await store.conversations_since(now - timedelta(minutes=1))}
    assert found == {waiting.id, talking.id} and old.id not in found


async def created_at(store: Store, contact: Contact, moment: datetime, channel: Channel = Channel.WEBCHAT
                     ) -> Conversation:
    conversation = Conversation(id=new_id(), contact_id=contact.id, channel=channel, state=S.BOT,
                                created_at=moment, updated_at=moment)
    await store.create_conversation(conversation)
    return conversation


async def test_a_periods_traffic_is_every_conversation_created_in_a_half_open_range(store: Store) -> None:
    contact = await a_contact(store)
    start = datetime(2024, 3, 1, 16, 0, tzinfo=UTC)  # midnight of 2 March in Shanghai
    end = start + timedelta(days=1)
    await created_at(store, contact, start - timedelta(milliseconds=1))
    first = await created_at(store, contact, start)
    later = await created_at(store, contact, start + timedelta(hours=5, milliseconds=500), Channel.EMAIL)
    last = await created_at(store, contact, end - timedelta(milliseconds=1))
    await created_at(store, contact, end)
    found = await store.conversations_between(start, end)
    assert [c.id for c in found] == [first.id, later.id, last.id]
    assert found[1].channel is Channel.EMAIL
    shanghai = ZoneInfo("Asia/Shanghai")  # bounds in any time zone mean the same instants
    assert [c.id for c in await store.conversations_between(start.astimezone(shanghai), end.astimezone(shanghai))
            ] == [first.id, later.id, last.id]
    assert await store.conversations_between(end, end) == []


def said(conversation: Conversation, role: Role, moment: datetime) -> Message:
    return Message(id=new_id(), conversation_id=conversation.id, seq=0, role=role, text=role.value,
                   channel=conversation.channel, created_at=moment)


async def test_first_message_times_are_per_conversation_and_role_from_a_start(store: Store) -> None:
    contact = await a_contact(store)
    t0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    taken, silent, bot_only = [await created_at(store, contact, t0) for _ in range(3)]
    for message in (said(taken, Role.CUSTOMER, t0), said(taken, Role.AGENT, t0 + timedelta(seconds=5)),
                    said(taken, Role.AGENT, t0 + timedelta(seconds=40, milliseconds=250)),
                    said(taken, Role.AGENT, t0 + timedelta(seconds=90)), said(silent, Role.CUSTOMER, t0),
                    said(bot_only, Role.BOT, t0)):
        await store.add_message(message)
    since = t0 + timedelta(seconds=30)  # after a transfer: the first reply of the agent who took it then
    replies = await store.first_message_times({taken.id: since, silent.id: t0, bot_only.id: t0}, Role.AGENT)
    assert replies == {taken.id: t0 + timedelta(seconds=40, milliseconds=250)}
    assert replies[taken.id].tzinfo is not None
    early = t0 - timedelta(days=1)
    spoke = await store.first_message_times({c.id: early for c in (taken, silent, bot_only)}, Role.CUSTOMER)
    assert spoke == {taken.id: t0, silent.id: t0}
    assert await store.first_message_times({}, Role.AGENT) == {}


async def test_first_message_times_take_any_number_of_conversations(store: Store) -> None:
    contact = await a_contact(store)
    t0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    many = [await created_at(store, contact, t0) for _ in range(ID_BATCH + 3)]
    for conversation in many[::50]:
        await store.add_message(said(conversation, Role.AGENT, t0 + timedelta(seconds=1)))
    replies = await store.first_message_times({c.id: t0 for c in many}, Role.AGENT)
    assert set(replies) == {c.id for c in many[::50]}


async def test_a_contact_can_be_changed(store: Store) -> None:
    contact = await a_contact(store)
    changed = Contact(id=contact.id, name=contact.name, locale=contact.locale, created_at=contact.created_at, vip=3,
                      blocked=True, note="abusive")
    await store.update_contact(changed)
    assert await store.get_contact(contact.id) == changed
    with pytest.raises(NotFound):
        await store.update_contact(Contact(id="missing", created_at=utcnow()))


async def test_an_attachment_is_kept_byte_for_byte_once(store: Store) -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40 + b"\x00end"
    meta = StoredFile(id=new_id(), name="收据 receipt.png", content_type="image/png", size=len(data),
                      created_at=utcnow(), contact_id="contact-1")
    await store.put_file(meta, data)
    assert await store.get_file(meta.id) == (meta, data)
    with pytest.raises(Conflict):
        await store.put_file(meta, b"other")
    with pytest.raises(NotFound):
        await store.get_file("nope")
