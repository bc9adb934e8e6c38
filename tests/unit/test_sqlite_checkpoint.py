"""The SQLite store checkpoints its write-ahead log in the background, not inside the commits of messages."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from hub.store.sqlite import SQLiteStore
from tests.contract.test_store import a_contact, a_conversation, a_message


def _messages_in_database_file(store_path: Path) -> int | None:
    """Rows in the database file alone, without its log: what a checkpoint has copied there (None: the read
    caught the file in the middle of a checkpoint's writes). Read as immutable: no locks taken or dropped."""
    db = sqlite3.connect(f"file:{store_path}?immutable=1", uri=True)
    try:
        if db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'messages'").fetchone()[0] == 0:
            return 0  # not even the schema has been copied yet
        return db.execute("SELECT count(*) FROM messages").fetchone()[0]
    except sqlite3.DatabaseError:
        return None
    finally:
        db.close()


def _checkpoint_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "sqlite-checkpoint"}


async def _wait_for_database_file(store_path: Path, messages: int) -> int | None:
    for _ in range(100):
        found = _messages_in_database_file(store_path)
        if found == messages:
            break
        await asyncio.sleep(0.05)
    return found


async def test_written_messages_reach_the_database_file_without_a_commit_checkpointing(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    store = SQLiteStore(path, checkpoint_interval=0.05)
    before = _checkpoint_threads()
    await store.open()
    try:
        conversation = await a_conversation(store, await a_contact(store))
        for n in range(5):  # a few pages of log: far below the 1,000 at which a commit would checkpoint
            await store.add_message(a_message(conversation, f"m{n}"))
        assert await _wait_for_database_file(path, 5) == 5
        autocheckpoint = await store.worker.read(lambda db: db.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        assert autocheckpoint == 10_000  # the writer's own checkpoint stays, as a backstop
    finally:
        await store.close()
    assert _checkpoint_threads() == before  # the store's own went with it


async def test_a_store_closed_and_opened_again_checkpoints_again(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    store = SQLiteStore(path, checkpoint_interval=0.05)
    await store.open()
    await store.close()
    await store.open()
    try:
        conversation = await a_conversation(store, await a_contact(store))
        await store.add_message(a_message(conversation, "again"))
        assert await _wait_for_database_file(path, 1) == 1
    finally:
        await store.close()
