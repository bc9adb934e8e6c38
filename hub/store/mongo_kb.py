"""The knowledge half of the MongoDB backend.

Articles keep ``live_version`` as a field of their own (null unless the bot may answer from them), so
``live_versions`` is one indexed query for the articles and one for their versions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

from hub.errors import Conflict, NotFound
from hub.store.knowledge import KnowledgeStore
from hub.store.mongo_docs import document, dump, insert, load
from kb.articles import Article, ArticleStatus, ArticleVersion
from kb.feedback import Feedback, Miss, MissStatus

if TYPE_CHECKING:
    from hub.store.mongo import MongoStore

INDEXES: dict[str, list[IndexModel]] = {
    "articles": [IndexModel([("status", ASCENDING), ("updated_at", DESCENDING)]),
                 IndexModel([("live_version", ASCENDING)], sparse=True)],
    "article_versions": [IndexModel([("article_id", ASCENDING), ("version", ASCENDING)], unique=True)],
    "misses": [IndexModel([("status", ASCENDING), ("created_at", DESCENDING)])],
}
NEWEST = [("updated_at", DESCENDING), ("_id", ASCENDING)]


def _article_document(article: Article) -> dict[str, Any]:
    return {**document(article), "live_version": article.live_version}


def _version_key(article_id: str, version: int) -> str:
    return f"{article_id}@{version}"


class MongoKnowledge(KnowledgeStore):
    def __init__(self, store: MongoStore) -> None:
        self._store = store

    @property
    def _db(self) -> Any:
        return self._store.db

    async def create_article(self, article: Article) -> None:
        await insert(self._db.articles, _article_document(article), "that article exists already")

    async def get_article(self, article_id: str) -> Article:
        doc = await self._db.articles.find_one({"_id": article_id})
        if doc is None:
            raise NotFound("no such article")
        return _article(doc)

    async def update_article(self, article: Article, expect_revision: int) -> Article:
        updated = msgspec.structs.replace(article, revision=expect_revision + 1)
        result = await self._db.articles.find_one_and_replace(
            {"_id": article.id, "revision": expect_revision}, _article_document(updated),
            return_document=ReturnDocument.AFTER)
        if result is None:
            await self.get_article(article.id)  # NotFound when it is gone
            raise Conflict("the article was changed by someone else; reload it", code="stale_revision")
        return updated

    async def list_articles(self, status: ArticleStatus | None = None) -> list[Article]:
        query = {} if status is None else {"status": status.value}
        return [_article(doc) async for doc in self._db.articles.find(query, sort=NEWEST)]

    async def put_version(self, version: ArticleVersion) -> None:
        key = _version_key(version.article_id, version.version)
        await self._db.article_versions.replace_one({"_id": key}, {**dump(version), "_id": key}, upsert=True)

    async def get_version(self, article_id: str, version: int) -> ArticleVersion:
        doc = await self._db.article_versions.find_one({"_id": _version_key(article_id, version)})
        if doc is None:
            raise NotFound("no such version")
        return load(doc, ArticleVersion)

    async def versions(self, article_id: str) -> list[ArticleVersion]:
        cursor = self._db.article_versions.find({"article_id": article_id}, sort=[("version", ASCENDING)])
        return [load(doc, ArticleVersion) async for doc in cursor]

    async def live_versions(self) -> list[ArticleVersion]:
        live = self._db.articles.find({"live_version": {"$ne": None}}, projection=["live_version"],
                                      sort=[("_id", ASCENDING)])
        keys = [_version_key(doc["_id"], doc["live_version"]) async for doc in live]
        found: dict[str, ArticleVersion] = {}
        for start in range(0, len(keys), 1000):
            async for doc in self._db.article_versions.find({"_id": {"$in": keys[start:start + 1000]}}):
                key = doc["_id"]
                found[key] = load(doc, ArticleVersion)
        return [found[key] for key in keys if key in found]

    async def get_synonyms(self) -> list[list[str]]:
        doc = await self._db.kb_settings.find_one({"_id": "synonyms"})
        return [list(group) for group in doc["groups"]] if doc else []

    async def set_synonyms(self, groups: list[list[str]]) -> None:
        await self._db.kb_settings.replace_one({"_id": "synonyms"}, {"_id": "synonyms", "groups": groups},
                                               upsert=True)

    async def put_feedback(self, feedback: Feedback) -> None:
        await self._db.feedback.replace_one({"_id": feedback.message_id},
                                            {**dump(feedback), "_id": feedback.message_id}, upsert=True)

    async def feedback_for(self, message_id: str) -> Feedback | None:
        doc = await self._db.feedback.find_one({"_id": message_id})
        return None if doc is None else load(doc, Feedback)

    async def add_miss(self, miss: Miss) -> None:
        await insert(self._db.misses, document(miss), "that question is logged already")

    async def misses(self, status: MissStatus | None = None, limit: int = 500) -> list[Miss]:
        query = {} if status is None else {"status": status.value}
        cursor = self._db.misses.find(query, sort=[("created_at", DESCENDING), ("_id", ASCENDING)], limit=limit)
        return [load(doc, Miss) async for doc in cursor]

    async def misses_by_id(self, miss_ids: list[str]) -> list[Miss]:
        return [load(doc, Miss) async for doc in self._db.misses.find({"_id": {"$in": miss_ids}})]

    async def set_miss_status(self, miss_id: str, status: MissStatus, article_id: str | None = None) -> Miss:
        changes: dict[str, Any] = {"status": status.value}
        if article_id is not None:
            changes["article_id"] = article_id
        doc = await self._db.misses.find_one_and_update({"_id": miss_id}, {"$set": changes},
                                                        return_document=ReturnDocument.AFTER)
        if doc is None:
            raise NotFound("no such question in the log")
        return load(doc, Miss)


def _article(doc: dict[str, Any]) -> Article:
    doc.pop("live_version", None)
    return load(doc, Article)
