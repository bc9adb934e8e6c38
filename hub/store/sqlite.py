"""SQLite backend: the embedded default. One connection owned by one worker thread.

Each row keeps its indexed fields as columns and the whole entity as a msgspec-encoded JSON ``doc``.
WAL with ``synchronous=NORMAL`` survives a killed process (a commit is in the WAL before we return);
``HUB_SQLITE_SYNCHRONOUS=FULL`` also survives power loss, at some cost in throughput.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import msgspec

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
from hub.store.sqlite_checkpoint import Checkpointer, hand_checkpoints_over
from hub.store.sqlite_kb import SCHEMA as KNOWLEDGE_SCHEMA
from hub.store.sqlite_kb import SQLiteKnowledge
from hub.store.sqlite_worker import SQLiteWorker

T = TypeVar("T")
log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS identities (
    channel TEXT NOT NULL, external_id TEXT NOT NULL, contact_id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (channel, external_id));
CREATE INDEX IF NOT EXISTS identities_contact ON identities (contact_id);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, contact_id TEXT NOT NULL, channel TEXT NOT NULL, state TEXT NOT NULL,
    agent_id TEXT, sort_key TEXT NOT NULL, created_at TEXT NOT NULL, last_seq INTEGER NOT NULL,
    doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_contact ON conversations (contact_id, channel, created_at);
CREATE INDEX IF NOT EXISTS conversations_state ON conversations (state, sort_key);
CREATE INDEX IF NOT EXISTS conversations_agent ON conversations (agent_id, state);
CREATE INDEX IF NOT EXISTS conversations_created ON conversations (created_at);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, seq INTEGER NOT NULL,
    channel TEXT NOT NULL, external_id TEXT, doc TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS messages_order ON messages (conversation_id, seq);
CREATE UNIQUE INDEX IF NOT EXISTS messages_dedupe ON messages (channel, external_id)
    WHERE external_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
-- users.username holds models.username_key(name); the name as written is in the doc
CREATE TABLE IF NOT EXISTS config (name TEXT PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (id TEXT PRIMARY KEY, doc TEXT NOT NULL, data BLOB NOT NULL);
"""

def _encode(entity: msgspec.Struct) -> str:
    return msgspec.json.encode(entity).decode()


def _decode(raw: str, kind: type[T]) -> T:
    return msgspec.json.decode(raw, type=kind)


def key_usernames(db: sqlite3.Connection) -> None:
    """Users stored before names were unique regardless of case get their key, at start-up."""
    for user_id, stored, doc in db.execute("SELECT id, username, doc FROM users").fetchall():
        key = username_key(_decode(doc, User).username)
        if key != stored:
            try:
                db.execute("UPDATE users SET username = ? WHERE id = ?", (key, user_id))
            except sqlite3.IntegrityError:
                log.warning("user %r cannot sign in: another user's name differs from it only in case", stored)


def _sort_key(conversation: Conversation) -> str:
    return (conversation.queued_at or conversation.created_at).isoformat()


class SQLiteStore(Store):
    def __init__(self, path: Path, synchronous: str = "NORMAL", checkpoint_interval: float = 0.25) -> None:
        self._path = path
        self._synchronous = synchronous
        self._worker: SQLiteWorker | None = None
        self._checkpointer = Checkpointer(path, synchronous, checkpoint_interval)
        self._db: sqlite3.Connection | None = None
        self._knowledge = SQLiteKnowledge(self)

    @property
    def knowledge(self) -> KnowledgeStore:
        return self._knowledge

    @property
    def db(self) -> sqlite3.Connection:
        assert self._db is not None, "store not opened"
        return self._db

    def _connect(self) -> sqlite3.Connection:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={self._synchronous}")
        db.execute("PRAGMA busy_timeout=5000")
        hand_checkpoints_over(db)
        db.executescript(SCHEMA + KNOWLEDGE_SCHEMA)
        key_usernames(db)
        self._db = db
        return db

    async def open(self) -> None:
        self._worker = SQLiteWorker(self._connect)
        await asyncio.to_thread(self._worker.start)
        self._checkpointer.start()

    async def close(self) -> None:
        await asyncio.to_thread(self._checkpointer.stop)
        worker, self._worker = self._worker, None
        if worker is not None:
            await asyncio.to_thread(worker.stop)
        self._db = None

    @property
    def worker(self) -> SQLiteWorker:
        if self._worker is None:
            raise RuntimeError("the store is not open")
        return self._worker

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self.worker.write(fn)

    async def _read(self, fn: Callable[[], T]) -> T:
        return await self.worker.read(lambda _db: fn())

    async def ping(self) -> None:
        await self._read(lambda: self.db.execute("SELECT 1").fetchone())

    def _one(self, sql: str, args: Sequence[Any], kind: type[T]) -> T | None:
        row = self.db.execute(sql, args).fetchone()
        return None if row is None else _decode(row[0], kind)

    def _many(self, sql: str, args: Sequence[Any], kind: type[T]) -> list[T]:
        return [_decode(row[0], kind) for row in self.db.execute(sql, args).fetchall()]

    async def _fetch_one(self, sql: str, args: Sequence[Any], kind: type[T]) -> T | None:
        return await self._read(lambda: self._one(sql, args, kind))

    async def _fetch_many(self, sql: str, args: Sequence[Any], kind: type[T]) -> list[T]:
        return await self._read(lambda: self._many(sql, args, kind))

    # contacts
    async def create_contact(self, contact: Contact, identity: ContactIdentity) -> None:
        def tx(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO contacts VALUES (?, ?)", (contact.id, _encode(contact)))
            self._insert_identity(db, identity)

        await self._write(tx)

    @staticmethod
    def _insert_identity(db: sqlite3.Connection, identity: ContactIdentity) -> None:
        try:
            db.execute(
                "INSERT INTO identities VALUES (?, ?, ?, ?)",
                (identity.channel, identity.external_id, identity.contact_id, _encode(identity)),
            )
        except sqlite3.IntegrityError as exc:
            raise Conflict("this identity belongs to a contact already") from exc

    async def add_identity(self, identity: ContactIdentity) -> None:
        await self._write(lambda db: self._insert_identity(db, identity))

    async def find_identity(self, channel: Channel, external_id: str) -> ContactIdentity | None:
        sql = "SELECT doc FROM identities WHERE channel = ? AND external_id = ?"
        return await self._fetch_one(sql, (channel, external_id), ContactIdentity)

    async def identity_of(self, contact_id: str, channel: Channel) -> ContactIdentity | None:
        sql = "SELECT doc FROM identities WHERE contact_id = ? AND channel = ? ORDER BY rowid LIMIT 1"
        return await self._fetch_one(sql, (contact_id, channel), ContactIdentity)

    async def get_contact(self, contact_id: str) -> Contact:
        found = await self._fetch_one("SELECT doc FROM contacts WHERE id = ?", (contact_id,), Contact)
        if found is None:
            raise NotFound("no such contact")
        return found

    async def update_contact(self, contact: Contact) -> None:
        def tx(db: sqlite3.Connection) -> None:
            if db.execute("UPDATE contacts SET doc = ? WHERE id = ?", (_encode(contact), contact.id)).rowcount == 0:
                raise NotFound("no such contact")

        await self._write(tx)

    # conversations
    async def create_conversation(self, conversation: Conversation) -> None:
        def tx(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation.id, conversation.contact_id, conversation.channel, conversation.state,
                    conversation.agent_id, _sort_key(conversation), conversation.created_at.isoformat(),
                    conversation.last_seq, _encode(conversation),
                ),
            )

        await self._write(tx)

    def _conversation(self, conversation_id: str) -> Conversation:
        sql = "SELECT doc FROM conversations WHERE id = ?"
        found = self._one(sql, (conversation_id,), Conversation)
        if found is None:
            raise NotFound("no such conversation")
        return found

    async def get_conversation(self, conversation_id: str) -> Conversation:
        return await self._read(lambda: self._conversation(conversation_id))

    async def latest_conversation(self, contact_id: str, channel: Channel) -> Conversation | None:
        sql = (
            "SELECT doc FROM conversations WHERE contact_id = ? AND channel = ? "
            "ORDER BY created_at DESC, id DESC LIMIT 1"
        )
        return await self._fetch_one(sql, (contact_id, channel), Conversation)

    async def conversations_of_contact(self, contact_id: str, limit: int = 20) -> list[Conversation]:
        sql = "SELECT doc FROM conversations WHERE contact_id = ? ORDER BY created_at DESC, id DESC LIMIT ?"
        return await self._fetch_many(sql, (contact_id, limit), Conversation)

    async def update_conversation(
        self, conversation_id: str, expect: ConversationState, changes: dict[str, Any],
        expect_agent: str | None = None,
    ) -> Conversation:
        check_changes(changes)

        def tx(db: sqlite3.Connection) -> Conversation:
            current = self._conversation(conversation_id)
            if current.state != expect:
                raise Conflict(f"the conversation is {current.state.value}, not {expect.value}")
            if expect_agent is not None and current.agent_id != expect_agent:
                raise agent_conflict()
            updated = msgspec.structs.replace(current, **changes)
            db.execute(
                "UPDATE conversations SET state = ?, agent_id = ?, sort_key = ?, doc = ? WHERE id = ?",
                (updated.state, updated.agent_id, _sort_key(updated), _encode(updated), conversation_id),
            )
            return updated

        return await self._write(tx)

    async def conversations_in_state(self, state: ConversationState) -> list[Conversation]:
        sql = "SELECT doc FROM conversations WHERE state = ? ORDER BY sort_key, id"
        return await self._fetch_many(sql, (state,), Conversation)

    async def conversations_since(self, moment: datetime) -> list[Conversation]:
        sql = "SELECT doc FROM conversations WHERE state = ? AND sort_key >= ? ORDER BY sort_key, id"
        found: list[Conversation] = []
        for state in ConversationState:  # one range of the (state, sort_key) index each
            found += await self._fetch_many(sql, (state, moment.isoformat()), Conversation)
        return found

    async def conversations_between(self, start: datetime, end: datetime) -> list[Conversation]:
        sql = "SELECT doc FROM conversations WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id"
        bounds = (start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat())  # as created_at is kept
        return await self._fetch_many(sql, bounds, Conversation)

    async def conversations_of_agent(
        self, agent_id: str, states: Sequence[ConversationState]
    ) -> list[Conversation]:
        marks = ", ".join("?" for _ in states)
        sql = f"SELECT doc FROM conversations WHERE agent_id = ? AND state IN ({marks}) ORDER BY sort_key"
        return await self._fetch_many(sql, (agent_id, *states), Conversation)

    # messages
    _FIND_MESSAGE = "SELECT doc FROM messages WHERE channel = ? AND external_id = ?"

    async def find_message(self, channel: Channel, external_id: str) -> Message | None:
        return await self._fetch_one(self._FIND_MESSAGE, (channel, external_id), Message)

    def _add_message(self, db: sqlite3.Connection, message: Message, open_only: bool, agent: str | None) -> Appended:
        if message.external_id is not None:
            existing = self._one(self._FIND_MESSAGE, (message.channel, message.external_id), Message)
            if existing is not None:
                return Appended(existing, False, None)
        guard, args = "", [message.conversation_id]
        if open_only:
            guard += " AND state != 'resolved'"
        if agent is not None:
            guard += " AND state = 'assigned' AND agent_id = ?"
            args.append(agent)
        row = db.execute(
            "UPDATE conversations SET last_seq = last_seq + 1, doc = json_set(doc, '$.last_seq', last_seq + 1) "
            f"WHERE id = ?{guard} RETURNING doc",
            args,
        ).fetchone()
        if row is None:
            self._conversation(message.conversation_id)  # NotFound when it does not exist at all
            raise agent_conflict() if agent is not None else resolved_conflict()
        conversation = _decode(row[0], Conversation)
        stored = msgspec.structs.replace(message, seq=conversation.last_seq)
        db.execute(
            "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)",
            (stored.id, stored.conversation_id, stored.seq, stored.channel, stored.external_id, _encode(stored)),
        )
        return Appended(stored, True, conversation)

    async def add_message(self, message: Message, *, open_only: bool = False, agent: str | None = None) -> Appended:
        return await self._write(lambda db: self._add_message(db, message, open_only, agent))

    async def messages(self, conversation_id: str, after_seq: int = 0, limit: int = 500) -> list[Message]:
        sql = "SELECT doc FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?"
        return await self._fetch_many(sql, (conversation_id, after_seq, limit), Message)

    def _message_times(self, conversation_ids: Sequence[str], role: Role) -> list[tuple[str, datetime]]:
        marks = ", ".join("?" for _ in conversation_ids)
        sql = (f"SELECT conversation_id, json_extract(doc, '$.created_at') FROM messages "
               f"WHERE conversation_id IN ({marks}) AND json_extract(doc, '$.role') = ?")
        rows = self.db.execute(sql, (*conversation_ids, role)).fetchall()
        return [(conversation_id, datetime.fromisoformat(at)) for conversation_id, at in rows]

    async def first_message_times(self, starts: Mapping[str, datetime], role: Role) -> dict[str, datetime]:
        ids = list(starts)
        times = await self._read(lambda: [t for batch in batches(ids) for t in self._message_times(batch, role)])
        return earliest_since(times, starts)

    # users
    async def add_user(self, user: User) -> None:
        def tx(db: sqlite3.Connection) -> None:
            try:
                db.execute("INSERT INTO users VALUES (?, ?, ?)",
                           (user.id, username_key(user.username), _encode(user)))
            except sqlite3.IntegrityError as exc:
                raise Conflict("that username is taken") from exc

        await self._write(tx)

    async def get_user(self, user_id: str) -> User:
        found = await self._fetch_one("SELECT doc FROM users WHERE id = ?", (user_id,), User)
        if found is None:
            raise NotFound("no such user")
        return found

    async def get_user_by_name(self, username: str) -> User | None:
        return await self._fetch_one("SELECT doc FROM users WHERE username = ?", (username_key(username),), User)

    async def list_users(self) -> list[User]:
        return await self._fetch_many("SELECT doc FROM users ORDER BY username", (), User)

    async def set_agent_state(self, user_id: str, state: AgentState, at: datetime, reason: str | None = None) -> None:
        def tx(db: sqlite3.Connection) -> None:
            user = self._one("SELECT doc FROM users WHERE id = ?", (user_id,), User)
            if user is None:
                raise NotFound("no such user")
            updated = msgspec.structs.replace(user, agent_state=state, state_changed_at=at, state_reason=reason)
            db.execute("UPDATE users SET doc = ? WHERE id = ?", (_encode(updated), user_id))

        await self._write(tx)

    async def update_user(self, user_id: str, changes: dict[str, Any]) -> User:
        check_user_changes(changes)

        def tx(db: sqlite3.Connection) -> User:
            user = self._one("SELECT doc FROM users WHERE id = ?", (user_id,), User)
            if user is None:
                raise NotFound("no such user")
            updated = msgspec.structs.replace(user, **changes)
            db.execute("UPDATE users SET doc = ? WHERE id = ?", (_encode(updated), user_id))
            return updated

        return await self._write(tx)

    # configuration documents
    async def put_file(self, meta: StoredFile, data: bytes) -> None:
        def tx(db: sqlite3.Connection) -> None:
            try:
                db.execute("INSERT INTO files VALUES (?, ?, ?)", (meta.id, _encode(meta), data))
            except sqlite3.IntegrityError as exc:
                raise Conflict("that file exists already") from exc

        await self._write(tx)

    async def get_file(self, file_id: str) -> tuple[StoredFile, bytes]:
        row = await self._read(lambda: self.db.execute("SELECT doc, data FROM files WHERE id = ?",
                                                       (file_id,)).fetchone())
        if row is None:
            raise NotFound("no such file")
        return _decode(row[0], StoredFile), bytes(row[1])

    async def get_config(self, name: str) -> str | None:
        row = await self._read(lambda: self.db.execute("SELECT text FROM config WHERE name = ?", (name,)).fetchone())
        return None if row is None else str(row[0])

    async def put_config(self, name: str, text: str) -> None:
        await self._write(lambda db: db.execute(
            "INSERT INTO config VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET text = excluded.text", (name, text)))
