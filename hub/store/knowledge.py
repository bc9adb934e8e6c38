"""The knowledge half of the store contract: articles, versions, synonyms, feedback, missed questions.

- ``update_article`` is a compare-and-set on ``revision``: the stored article's revision must equal
  ``expect_revision``; it is stored with ``revision + 1``. Two editors never overwrite each other.
- ``put_version`` writes a version and ``publish`` then points the article at it. A process killed in
  between leaves a version nothing points to, which the next publish of that article overwrites
  (versions are numbered from the article's ``latest_version``).
- ``live_versions`` are the versions the bot may answer from (``Article.live_version``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from kb.articles import Article, ArticleStatus, ArticleVersion
from kb.feedback import Feedback, Miss, MissStatus


class KnowledgeStore(ABC):
    @abstractmethod
    async def create_article(self, article: Article) -> None:
        """Conflict if the id exists."""

    @abstractmethod
    async def get_article(self, article_id: str) -> Article: ...

    @abstractmethod
    async def update_article(self, article: Article, expect_revision: int) -> Article:
        """Store ``article`` (its revision replaced by ``expect_revision + 1``) if the stored one is still
        at ``expect_revision``; Conflict (code ``stale_revision``) otherwise."""

    @abstractmethod
    async def list_articles(self, status: ArticleStatus | None = None) -> list[Article]:
        """Most recently updated first."""

    @abstractmethod
    async def put_version(self, version: ArticleVersion) -> None:
        """Write (or overwrite an orphaned) ``(article_id, version)``."""

    @abstractmethod
    async def get_version(self, article_id: str, version: int) -> ArticleVersion: ...

    @abstractmethod
    async def versions(self, article_id: str) -> list[ArticleVersion]:
        """Oldest first."""

    @abstractmethod
    async def live_versions(self) -> list[ArticleVersion]: ...

    @abstractmethod
    async def get_synonyms(self) -> list[list[str]]: ...

    @abstractmethod
    async def set_synonyms(self, groups: list[list[str]]) -> None: ...

    @abstractmethod
    async def put_feedback(self, feedback: Feedback) -> None:
        """One per bot message: a later verdict replaces the earlier one."""

    @abstractmethod
    async def feedback_for(self, message_id: str) -> Feedback | None: ...

    @abstractmethod
    async def add_miss(self, miss: Miss) -> None: ...

    @abstractmethod
    async def misses(self, status: MissStatus | None = None, limit: int = 500) -> list[Miss]:
        """Newest first."""

    @abstractmethod
    async def misses_by_id(self, miss_ids: list[str]) -> list[Miss]: ...

    @abstractmethod
    async def set_miss_status(self, miss_id: str, status: MissStatus, article_id: str | None = None) -> Miss: ...
