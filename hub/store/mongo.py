"""MongoDB backend, through motor. Works on a standalone server: it needs no transactions.

Each entity is one document keyed by its id (``_id``; identities, which have none, get an ObjectId),
in msgspec's builtin form with datetimes kept as BSON dates. Conversations also keep ``sort_key``
(``queued_at`` or else ``created_at``), so the queue order is one index.

Without transactions:
- ``create_contact`` writes the contact, then claims the identity through its unique index, and takes
  the contact back if the claim fails: an identity is never visible before its contact;
- ``add_message`` takes the next seq with an atomic ``$inc`` on the conversation; if two resends of one
  ``(channel, external_id)`` race, the loser returns the winner's message and the seq it took is
  skipped, so seqs stay unique and increasing but may have a gap.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import msgspec
from bson import Binary
from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from hub.errors import Conflict, NotFound
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
    username_key,
)
from hub.store.base import (
    Appended,
    Store,
    agent_conflict,
    batches,
    check_changes,
    check_user_changes,
    earliest_since,
    resolved_conflict,
)
from hub.store.knowledge import KnowledgeStore
from hub.store.mongo_docs import document, dump, insert, load
from hub.store.mongo_kb import INDEXES as KNOWLEDGE_INDEXES
from hub.store.mongo_kb import MongoKnowledge

T = TypeVar("T")
log = logging.getLogger(__name__)
Order = list[tuple[str, int]]

INDEXES: dict[str, list[IndexModel]] = {
    "identities": [
        IndexModel([("channel", ASCENDING), ("external_id", ASCENDING)], unique=True),
        IndexModel([("contact_id", ASCENDING)]),
    ],
    "conversations": [
        IndexModel([("contact_id", ASCENDING), ("channel", ASCENDING), ("created_at", DESCENDING)]),
        IndexModel([("state", ASCENDING), ("sort_key", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("agent_id", ASCENDING), ("state", ASCENDING)]),
        IndexModel([("created_at", ASCENDING), ("_id", ASCENDING)]),
    ],
    "messages": [
        IndexModel([("conversation_id", ASCENDING), ("seq", ASCENDING)], unique=True),
        IndexModel(
            [("channel", ASCENDING), ("external_id", ASCENDING)],
            unique=True,
            partialFilterExpression={"external_id": {"$type": "string"}},
        ),
    ],
    "users": [
        IndexModel([("username", ASCENDING)], unique=True),
        IndexModel([("username_key", ASCENDING)], unique=True,
                   partialFilterExpression={"username_key": {"$type": "string"}}),
    ],
}

QUEUE_ORDER: Order = [("sort_key", ASCENDING), ("_id", ASCENDING)]

# After the changes are applied, recompute the queue position from the document itself.
SORT_KEY_STAGE = {"$set": {"sort_key": {"$ifNull": ["$queued_at", "$created_at"]}}}


def _conversation_document(conversation: Conversation) -> dict[str, Any]:
    return {**document(conversation), "sort_key": conversation.queued_at or conversation.created_at}


def _update_pipeline(changes: dict[str, Any]) -> list[dict[str, Any]]:
    """Set the changes, then the queue position. A pipeline reads ``"$..."`` strings as field paths,
    so every value is quoted."""
    quoted = {name: {"$literal": value} for name, value in dump(changes).items()}
    return [{"$set": quoted}, SORT_KEY_STAGE] if quoted else [SORT_KEY_STAGE]


class MongoStore(Store):
    def __init__(self, url: str, db_name: str) -> None:
        self._url = url
        self._db_name = db_name
        self._client: AsyncIOMotorClient | None = None
        self._knowledge = MongoKnowledge(self)

    @property
    def knowledge(self) -> KnowledgeStore:
        return self._knowledge

    @property
    def db(self) -> AsyncIOMotorDatabase:
        assert self._client is not None, "store not opened"
        return self._client[self._db_name]

    async def open(self) -> None:
        # Majority writes: an acknowledged message survives a replica-set failover.
        self._client = AsyncIOMotorClient(self._url, tz_aware=True, w="majority")
        for name, indexes in {**INDEXES, **KNOWLEDGE_INDEXES}.items():
            await self.db[name].create_indexes(indexes)
        await self._key_usernames()

    async def _key_usernames(self) -> None:
        """Users stored before names were unique regardless of case get their key; its unique index (partial:
        only documents that have one) refuses a second user's, whichever process backfills."""
        async for doc in self.db.users.find({"username_key": {"$exists": False}}, projection={"username": 1}):
            try:
                await self.db.users.update_one({"_id": doc["_id"]},
                                               {"$set": {"username_key": username_key(doc["username"])}})
            except DuplicateKeyError:
                log.warning("user %r cannot sign in: another user's name differs from it only in case",
                            doc["username"])

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def ping(self) -> None:
        await self.db.command("ping")

    async def _one(self, collection: str, query: dict[str, Any], kind: type[T], **options: Any) -> T | None:
        doc = await self.db[collection].find_one(query, **options)
        return None if doc is None else load(doc, kind)

    async def _get(self, collection: str, entity_id: str, kind: type[T], what: str) -> T:
        found = await self._one(collection, {"_id": entity_id}, kind)
        if found is None:
            raise NotFound(f"no such {what}")
        return found

    async def _many(
        self, collection: str, query: dict[str, Any], kind: type[T], sort: Order, limit: int = 0
    ) -> list[T]:
        cursor = self.db[collection].find(query, sort=sort, limit=limit)
        return [load(doc, kind) async for doc in cursor]

    # contacts
    async def create_contact(self, contact: Contact, identity: ContactIdentity) -> None:
        await insert(self.db.contacts, document(contact), "that contact exists already")
        try:
            await self.add_identity(identity)
        except Conflict:
            await self.db.contacts.delete_one({"_id": contact.id})
            raise

    async def add_identity(self, identity: ContactIdentity) -> None:
        await insert(self.db.identities, document(identity), "this identity belongs to a contact already")

    async def find_identity(self, channel: Channel, external_id: str) -> ContactIdentity | None:
        query = {"channel": channel, "external_id": external_id}
        return await self._one("identities", query, ContactIdentity)

    async def identity_of(self, contact_id: str, channel: Channel) -> ContactIdentity | None:
        query = {"contact_id": contact_id, "channel": channel}
        return await self._one("identities", query, ContactIdentity, sort=[("created_at", ASCENDING)])

    async def get_contact(self, contact_id: str) -> Contact:
        return await self._get("contacts", contact_id, Contact, "contact")

    async def update_contact(self, contact: Contact) -> None:
        result = await self.db.contacts.replace_one({"_id": contact.id}, document(contact))
        if result.matched_count == 0:
            raise NotFound("no such contact")

    # conversations
    async def create_conversation(self, conversation: Conversation) -> None:
        await insert(self.db.conversations, _conversation_document(conversation), "that conversation exists")

    async def get_conversation(self, conversation_id: str) -> Conversation:
        return await self._get("conversations", conversation_id, Conversation, "conversation")

    async def latest_conversation(self, contact_id: str, channel: Channel) -> Conversation | None:
        query = {"contact_id": contact_id, "channel": channel}
        newest = [("created_at", DESCENDING), ("_id", DESCENDING)]
        return await self._one("conversations", query, Conversation, sort=newest)

    async def conversations_of_contact(self, contact_id: str, limit: int = 20) -> list[Conversation]:
        newest = [("created_at", DESCENDING), ("_id", DESCENDING)]
        return await self._many("conversations", {"contact_id": contact_id}, Conversation, newest, limit)

    async def update_conversation(
        self, conversation_id: str, expect: ConversationState, changes: dict[str, Any],
        expect_agent: str | None = None,
    ) -> Conversation:
        check_changes(changes)
        query: dict[str, Any] = {"_id": conversation_id, "state": expect}
        if expect_agent is not None:
            query["agent_id"] = expect_agent
        updated = await self.db.conversations.find_one_and_update(
            query, _update_pipeline(changes), return_document=ReturnDocument.AFTER
        )
        if updated is None:
            current = await self.get_conversation(conversation_id)
            if current.state != expect:
                raise Conflict(f"the conversation is {current.state.value}, not {expect.value}")
            raise agent_conflict()
        return load(updated, Conversation)

    async def conversations_in_state(self, state: ConversationState) -> list[Conversation]:
        return await self._many("conversations", {"state": state}, Conversation, QUEUE_ORDER)

    async def conversations_since(self, moment: datetime) -> list[Conversation]:
        query = {"state": {"$in": [s.value for s in ConversationState]}, "sort_key": {"$gte": moment}}
        return await self._many("conversations", query, Conversation, QUEUE_ORDER)

    async def conversations_between(self, start: datetime, end: datetime) -> list[Conversation]:
        query = {"created_at": {"$gte": start, "$lt": end}}
        return await self._many("conversations", query, Conversation, [("created_at", ASCENDING), ("_id", ASCENDING)])

    async def conversations_of_agent(
        self, agent_id: str, states: Sequence[ConversationState]
    ) -> list[Conversation]:
        query = {"agent_id": agent_id, "state": {"$in": list(states)}}
        return await self._many("conversations", query, Conversation, QUEUE_ORDER)

    # messages
    async def find_message(self, channel: Channel, external_id: str) -> Message | None:
        return await self._one("messages", {"channel": channel, "external_id": external_id}, Message)

    async def _resent(self, message: Message) -> Message | None:
        if message.external_id is None:
            return None
        return await self.find_message(message.channel, message.external_id)

    async def _take_seq(self, conversation_id: str, open_only: bool, agent: str | None) -> Conversation:
        query: dict[str, Any] = {"_id": conversation_id}
        if open_only:
            query["state"] = {"$ne": ConversationState.RESOLVED.value}
        if agent is not None:
            query.update(state=ConversationState.ASSIGNED.value, agent_id=agent)
        counter = await self.db.conversations.find_one_and_update(
            query, {"$inc": {"last_seq": 1}}, return_document=ReturnDocument.AFTER
        )
        if counter is None:
            await self.get_conversation(conversation_id)  # NotFound when it does not exist at all
            raise agent_conflict() if agent is not None else resolved_conflict()
        return load(counter, Conversation)

    async def add_message(self, message: Message, *, open_only: bool = False, agent: str | None = None) -> Appended:
        existing = await self._resent(message)
        if existing is not None:
            return Appended(existing, False, None)
        conversation = await self._take_seq(message.conversation_id, open_only, agent)
        stored = msgspec.structs.replace(message, seq=conversation.last_seq)
        try:
            await self.db.messages.insert_one(document(stored))
        except DuplicateKeyError as exc:
            existing = await self._resent(message)  # a concurrent resend won the race
            if existing is None:
                raise Conflict("that message exists already") from exc
            return Appended(existing, False, None)
        return Appended(stored, True, conversation)

    async def messages(self, conversation_id: str, after_seq: int = 0, limit: int = 500) -> list[Message]:
        if limit < 1:  # Mongo reads a limit of 0 as "no limit"
            return []
        query = {"conversation_id": conversation_id, "seq": {"$gt": after_seq}}
        return await self._many("messages", query, Message, [("seq", ASCENDING)], limit)

    async def first_message_times(self, starts: Mapping[str, datetime], role: Role) -> dict[str, datetime]:
        times: list[tuple[str, datetime]] = []
        for batch in batches(list(starts)):
            query = {"conversation_id": {"$in": list(batch)}, "role": role.value}
            cursor = self.db.messages.find(query, projection={"_id": 0, "conversation_id": 1, "created_at": 1})
            times += [(doc["conversation_id"], doc["created_at"]) async for doc in cursor]
        return earliest_since(times, starts)

    # users
    async def add_user(self, user: User) -> None:
        await insert(self.db.users, {**document(user), "username_key": username_key(user.username)},
                     "that username is taken")

    async def get_user(self, user_id: str) -> User:
        return await self._get("users", user_id, User, "user")

    async def get_user_by_name(self, username: str) -> User | None:
        found = await self._one("users", {"username_key": username_key(username)}, User)
        if found is None:  # a user without a key (added by an older hub process during an upgrade): exact name
            found = await self._one("users", {"username": username, "username_key": {"$exists": False}}, User)
        return found

    async def list_users(self) -> list[User]:
        return await self._many("users", {}, User, [("username", ASCENDING)])

    async def set_agent_state(self, user_id: str, state: AgentState, at: datetime, reason: str | None = None) -> None:
        changes = dump({"agent_state": state, "state_changed_at": at, "state_reason": reason})
        result = await self.db.users.update_one({"_id": user_id}, {"$set": changes})
        if result.matched_count == 0:
            raise NotFound("no such user")

    async def update_user(self, user_id: str, changes: dict[str, Any]) -> User:
        check_user_changes(changes)
        found = await self.db.users.find_one_and_update({"_id": user_id}, {"$set": dump(changes)},
                                                        return_document=ReturnDocument.AFTER)
        if found is None:
            raise NotFound("no such user")
        return load(found, User)

    # attachments (a document each: files are bounded well under MongoDB's 16 MB)
    async def put_file(self, meta: StoredFile, data: bytes) -> None:
        await insert(self.db.files, {**document(meta), "data": Binary(data)}, "that file exists already")

    async def get_file(self, file_id: str) -> tuple[StoredFile, bytes]:
        found = await self.db.files.find_one({"_id": file_id})
        if found is None:
            raise NotFound("no such file")
        data = bytes(found.pop("data"))
        return load(found, StoredFile), data

    # configuration documents
    async def get_config(self, name: str) -> str | None:
        found = await self.db.config.find_one({"_id": name})
        return None if found is None else str(found["text"])

    async def put_config(self, name: str, text: str) -> None:
        await self.db.config.update_one({"_id": name}, {"$set": {"text": text}}, upsert=True)
