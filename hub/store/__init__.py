"""The system of record: one contract, an SQLite and a MongoDB backend."""

from __future__ import annotations

from hub.settings import Settings
from hub.store.base import Store


def open_store(settings: Settings) -> Store:
    """The backend the settings ask for (not yet opened)."""
    if settings.mongo_url:
        from hub.store.mongo import MongoStore

        return MongoStore(settings.mongo_url, settings.mongo_db)
    from hub.store.sqlite import SQLiteStore

    return SQLiteStore(settings.data_dir / "hub.sqlite3", settings.sqlite_synchronous)


__all__ = ["Store", "open_store"]
