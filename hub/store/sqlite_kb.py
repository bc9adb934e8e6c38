"""The knowledge half of the SQLite backend, on the SQLite store's connection and worker thread."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import msgspec

from hub.errors import Conflict, NotFound
from hub.store.knowledge import KnowledgeStore
from kb.articles import Article, ArticleStatus, ArticleVersion
from kb.feedback import Feedback, Miss, MissStatus

if TYPE_CHECKING:
    from hub.store.sqlite import SQLiteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, live_version INTEGER, revision INTEGER NOT NULL,
    updated_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS articles_status ON articles (status, updated_at);
CREATE INDEX IF NOT EXISTS articles_live ON articles (live_version) WHERE live_version IS NOT NULL;
CREATE TABLE IF NOT EXISTS article_versions (
    article_id TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (article_id, version));
CREATE TABLE IF NOT EXISTS kb_settings (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (message_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS misses (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS misses_status ON misses (status, created_at);
"""


def _encode(entity: object) -> str:
    return msgspec.json.encode(entity).decode()


def _article_row(article: Article) -> tuple[str, str, int | None, int, str, str]:
    return (article.id, article.status, article.live_version, article.revision, article.updated_at.isoformat(),
            _encode(article))


class SQLiteKnowledge(KnowledgeStore):
    def __init__(self, store: SQLiteStore) -> None:
        self._store = store

    async def create_article(self, article: Article) -> None:
        def tx(db: sqlite3.Connection) -> None:
            try:
                db.execute("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?)", _article_row(article))
            except sqlite3.IntegrityError as exc:
                raise Conflict("that article exists already") from exc

        await self._store._write(tx)

    def _article(self, article_id: str) -> Article:
        found = self._store._one("SELECT doc FROM articles WHERE id = ?", (article_id,), Article)
        if found is None:
            raise NotFound("no such article")
        return found

    async def get_article(self, article_id: str) -> Article:
        return await self._store._read(lambda: self._article(article_id))

    async def update_article(self, article: Article, expect_revision: int) -> Article:
        def tx(db: sqlite3.Connection) -> Article:
            current = self._article(article.id)
            if current.revision != expect_revision:
                raise Conflict("the article was changed by someone else; reload it", code="stale_revision")
            updated = msgspec.structs.replace(article, revision=expect_revision + 1)
            row = _article_row(updated)
            db.execute("UPDATE articles SET status = ?, live_version = ?, revision = ?, updated_at = ?, doc = ? "
                       "WHERE id = ?", (*row[1:], article.id))
            return updated

        return await self._store._write(tx)

    async def list_articles(self, status: ArticleStatus | None = None) -> list[Article]:
        if status is None:
            return await self._store._fetch_many("SELECT doc FROM articles ORDER BY updated_at DESC, id", (),
                                                 Article)
        sql = "SELECT doc FROM articles WHERE status = ? ORDER BY updated_at DESC, id"
        return await self._store._fetch_many(sql, (status,), Article)

    async def put_version(self, version: ArticleVersion) -> None:
        await self._store._write(lambda db: db.execute(
            "INSERT OR REPLACE INTO article_versions VALUES (?, ?, ?)",
            (version.article_id, version.version, _encode(version))))

    async def get_version(self, article_id: str, version: int) -> ArticleVersion:
        sql = "SELECT doc FROM article_versions WHERE article_id = ? AND version = ?"
        found = await self._store._fetch_one(sql, (article_id, version), ArticleVersion)
        if found is None:
            raise NotFound("no such version")
        return found

    async def versions(self, article_id: str) -> list[ArticleVersion]:
        sql = "SELECT doc FROM article_versions WHERE article_id = ? ORDER BY version"
        return await self._store._fetch_many(sql, (article_id,), ArticleVersion)

    async def live_versions(self) -> list[ArticleVersion]:
        sql = ("SELECT v.doc FROM articles a JOIN article_versions v "
               "ON v.article_id = a.id AND v.version = a.live_version ORDER BY a.id")
        return await self._store._fetch_many(sql, (), ArticleVersion)

    async def get_synonyms(self) -> list[list[str]]:
        sql = "SELECT doc FROM kb_settings WHERE name = 'synonyms'"
        return await self._store._fetch_one(sql, (), list[list[str]]) or []

    async def set_synonyms(self, groups: list[list[str]]) -> None:
        await self._store._write(lambda db: db.execute(
            "INSERT OR REPLACE INTO kb_settings VALUES ('synonyms', ?)", (_encode(groups),)))

    async def put_feedback(self, feedback: Feedback) -> None:
        await self._store._write(lambda db: db.execute(
            "INSERT OR REPLACE INTO feedback VALUES (?, ?)", (feedback.message_id, _encode(feedback))))

    async def feedback_for(self, message_id: str) -> Feedback | None:
        return await self._store._fetch_one("SELECT doc FROM feedback WHERE message_id = ?", (message_id,),
                                            Feedback)

    async def add_miss(self, miss: Miss) -> None:
        await self._store._write(lambda db: db.execute(
            "INSERT INTO misses VALUES (?, ?, ?, ?)", (miss.id, miss.status, miss.created_at.isoformat(),
                                                       _encode(miss))))

    async def misses(self, status: MissStatus | None = None, limit: int = 500) -> list[Miss]:
        where, args = ("", [limit]) if status is None else ("WHERE status = ? ", [status.value, limit])
        sql = f"SELECT doc FROM misses {where}ORDER BY created_at DESC, id LIMIT ?"
        return await self._store._fetch_many(sql, args, Miss)

    async def misses_by_id(self, miss_ids: list[str]) -> list[Miss]:
        if not miss_ids:
            return []
        marks = ", ".join("?" for _ in miss_ids)
        return await self._store._fetch_many(f"SELECT doc FROM misses WHERE id IN ({marks})", miss_ids, Miss)

    async def set_miss_status(self, miss_id: str, status: MissStatus, article_id: str | None = None) -> Miss:
        def tx(db: sqlite3.Connection) -> Miss:
            found = self._store._one("SELECT doc FROM misses WHERE id = ?", (miss_id,), Miss)
            if found is None:
                raise NotFound("no such question in the log")
            updated = msgspec.structs.replace(found, status=status, article_id=article_id or found.article_id)
            db.execute("UPDATE misses SET status = ?, doc = ? WHERE id = ?", (status, _encode(updated), miss_id))
            return updated

        return await self._store._write(tx)
