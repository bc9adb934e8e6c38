"""The knowledge editors' and reviewers' operations on the KB, with role checks.

Editors write drafts and submit them; reviewers (and admins) publish, reject, roll back and switch
articles on and off; everyone signed in may read and search. Anything that changes what the bot may
answer rebuilds the live index (``hub.kb_index``) before it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

import msgspec

from hub.errors import Forbidden, HubError, InvalidInput, NotFound
from hub.ids import new_id
from hub.kb_index import LiveKnowledge
from hub.models import User, UserRole, utcnow
from hub.store import Store
from kb.articles import Action, Article, ArticleContent, ArticleStatus, ArticleVersion, checked, diff, next_status
from kb.feedback import Miss, MissStatus
from kb.synonyms import checked_groups

BULK_ACTIONS = ("submit", "publish", "reject", "archive", "restore", "enable", "disable")


class BulkResult(msgspec.Struct, omit_defaults=True):
    id: str
    ok: bool
    code: str | None = None
    detail: str | None = None


class Category(msgspec.Struct):
    name: str
    path: str
    articles: int
    children: list[Category]


def _tree(level: dict[str, Any], prefix: str) -> list[Category]:
    return [Category(name=name, path=prefix + name, articles=node["count"],
                     children=_tree(node["children"], prefix + name + "/")) for name, node in sorted(level.items())]


_BATCH: ContextVar[list[bool] | None] = ContextVar("kb_batch", default=None)
WRITERS = frozenset({UserRole.EDITOR, UserRole.REVIEWER, UserRole.ADMIN})
REVIEWERS = frozenset({UserRole.REVIEWER, UserRole.ADMIN})


def require(user: User, roles: frozenset[UserRole], what: str) -> None:
    if user.role not in roles:
        raise Forbidden(f"your role ({user.role.value}) may not {what}", code="role_forbidden")


class Library:
    def __init__(self, store: Store, live: LiveKnowledge | None) -> None:
        """Without ``live`` (the command line), running hubs pick changes up on their next reconcile."""
        self.store = store
        self.kb = store.knowledge
        self._live = live

    async def _changed(self) -> None:
        batch = _BATCH.get()
        if batch is not None:  # inside a bulk operation: rebuild once at its end
            batch.append(True)
        elif self._live is not None:
            await self._live.changed()

    # ----- editing ------------------------------------------------------------------------------
    async def create(self, user: User, content: ArticleContent) -> Article:
        require(user, WRITERS, "write articles")
        now = utcnow()
        article = Article(id=new_id(), content=checked(content), created_at=now, updated_at=now,
                          updated_by=user.id)
        await self.kb.create_article(article)
        return article

    async def edit(self, user: User, article_id: str, content: ArticleContent, revision: int) -> Article:
        require(user, WRITERS, "write articles")
        article = await self.kb.get_article(article_id)
        return await self._save(user, article, revision, content=checked(content),
                                status=next_status(article.status, Action.EDIT))

    async def _save(self, user: User, article: Article, revision: int, **changes: object) -> Article:
        updated = msgspec.structs.replace(article, updated_at=utcnow(), updated_by=user.id, **changes)
        return await self.kb.update_article(updated, revision)

    async def transition(self, user: User, article_id: str, action: Action, revision: int,
                         note: str | None = None) -> Article:
        """submit / reject / archive / restore; publishing has its own method."""
        if action in (Action.PUBLISH, Action.EDIT):
            raise InvalidInput(f"use the {action.value} endpoint", code="invalid_field")
        article = await self.kb.get_article(article_id)
        goes_live = action is Action.RESTORE and article.published_version is not None  # its version answers again
        require(user, REVIEWERS if action is Action.REJECT or goes_live else WRITERS, f"{action.value} this article")
        was_live = article.live_version is not None
        updated = await self._save(user, article, revision, status=next_status(article.status, action),
                                   review_note=note if action is Action.REJECT else article.review_note)
        if was_live != (updated.live_version is not None):
            await self._changed()
        return updated

    async def set_enabled(self, user: User, article_id: str, enabled: bool, revision: int) -> Article:
        require(user, REVIEWERS, "switch articles on or off")
        article = await self.kb.get_article(article_id)
        updated = await self._save(user, article, revision, enabled=enabled)
        if article.live_version != updated.live_version:
            await self._changed()
        return updated

    # ----- publishing and versions ----------------------------------------------------------------
    async def publish(self, user: User, article_id: str, revision: int, note: str | None = None) -> Article:
        require(user, REVIEWERS, "publish articles")
        article = await self.kb.get_article(article_id)
        status = next_status(article.status, Action.PUBLISH)
        return await self._freeze(user, article, revision, article.content, status, note)

    async def rollback(self, user: User, article_id: str, version: int, revision: int) -> Article:
        """Publish the content of an earlier version again, as a new version (history is never rewritten)."""
        require(user, REVIEWERS, "roll articles back")
        article = await self.kb.get_article(article_id)
        old = await self.kb.get_version(article_id, version)
        if article.status is ArticleStatus.ARCHIVED:
            raise InvalidInput("restore the article before rolling it back", code="illegal_transition")
        return await self._freeze(user, article, revision, old.content, ArticleStatus.PUBLISHED,
                                  f"rollback to {version}")

    async def _freeze(self, user: User, article: Article, revision: int, content: ArticleContent,
                      status: ArticleStatus, note: str | None, announce: bool = True) -> Article:
        """Publish ``content`` as the next version. The number is reserved first, by a compare-and-set on the
        article, so two reviewers publishing at once never write the same version: the loser gets 409 before
        writing anything, and a published version is never overwritten."""
        number = article.latest_version + 1
        reserved = await self.kb.update_article(msgspec.structs.replace(article, latest_version=number), revision)
        await self.kb.put_version(ArticleVersion(article_id=article.id, version=number, content=content,
                                                 published_at=utcnow(), published_by=user.id, note=note))
        updated = await self._save(user, reserved, reserved.revision, content=content, status=status,
                                   published_version=number, review_note=None)
        if announce:
            await self._changed()
        return updated

    async def versions(self, article_id: str) -> list[ArticleVersion]:
        await self.kb.get_article(article_id)
        return await self.kb.versions(article_id)

    async def diff(self, article_id: str, old: int, new: int | None) -> dict[str, list[str]]:
        """Between two versions, or between a version and the working copy (``new`` None)."""
        before = (await self.kb.get_version(article_id, old)).content
        after = (await self.kb.get_version(article_id, new)).content if new is not None else \
            (await self.kb.get_article(article_id)).content
        return diff(before, after)

    # ----- reading ------------------------------------------------------------------------------
    async def get(self, article_id: str) -> Article:
        return await self.kb.get_article(article_id)

    async def find(self, status: ArticleStatus | None = None, category: str | None = None,
                   tag: str | None = None, text: str | None = None) -> list[Article]:
        articles = await self.kb.list_articles(status)
        needle = (text or "").casefold()
        return [a for a in articles
                if (category is None or (a.content.category or "") == category
                    or (a.content.category or "").startswith(category + "/"))
                and (tag is None or tag in a.content.tags)
                and (not needle or needle in a.content.title.casefold() or needle in a.content.question.casefold())]

    async def categories(self) -> list[Category]:
        """The category tree of the articles that are not archived, with how many articles each holds
        (its sub-categories included)."""
        root: dict[str, Any] = {}
        for article in await self.kb.list_articles():
            if article.status is ArticleStatus.ARCHIVED or not article.content.category:
                continue
            level = root
            for part in article.content.category.split("/"):
                node = level.setdefault(part, {"count": 0, "children": {}})
                node["count"] += 1
                level = node["children"]
        return _tree(root, "")

    # ----- import, export and bulk operations ------------------------------------------------------
    async def import_contents(self, user: User, contents: Sequence[ArticleContent], publish: bool) -> list[Article]:
        """Every content (already checked as a whole: see kb.porting) becomes a draft, or is published."""
        require(user, REVIEWERS if publish else WRITERS, "publish articles" if publish else "write articles")
        articles = []
        for content in contents:
            article = await self.create(user, content)
            if publish:
                article = await self._freeze(user, article, article.revision, article.content,
                                             ArticleStatus.PUBLISHED, "imported", announce=False)
            articles.append(article)
        if publish:
            await self._changed()
        return articles

    async def export(self, status: ArticleStatus | None = None) -> list[ArticleContent]:
        articles = await self.kb.list_articles(status)
        return [a.content for a in sorted(articles, key=lambda a: a.created_at)
                if status is not None or a.status is not ArticleStatus.ARCHIVED]

    async def bulk(self, user: User, action: str, article_ids: Sequence[str]) -> list[BulkResult]:
        """One action on many articles, each at its current revision; each result says ok or why not."""
        results = []
        token = _BATCH.set([])
        try:
            for article_id in dict.fromkeys(article_ids):
                try:
                    article = await self.kb.get_article(article_id)
                    await self._one_of_bulk(user, action, article)
                    results.append(BulkResult(id=article_id, ok=True))
                except HubError as exc:
                    results.append(BulkResult(id=article_id, ok=False, code=exc.code, detail=exc.detail))
            changed = bool(_BATCH.get())
        finally:
            _BATCH.reset(token)
        if changed:
            await self._changed()  # one rebuild for the whole batch
        return results

    async def _one_of_bulk(self, user: User, action: str, article: Article) -> Article:
        if action == "publish":
            return await self.publish(user, article.id, article.revision)
        if action in ("enable", "disable"):
            return await self.set_enabled(user, article.id, action == "enable", article.revision)
        return await self.transition(user, article.id, Action(action), article.revision)

    # ----- synonyms and the missed-questions log ----------------------------------------------
    async def set_synonyms(self, user: User, groups: list[list[str]]) -> list[list[str]]:
        require(user, WRITERS, "change synonyms")
        cleaned = checked_groups(groups)
        await self.kb.set_synonyms(cleaned)
        await self._changed()
        return cleaned

    async def misses(self, status: MissStatus | None) -> list[Miss]:
        return await self.kb.misses(status)

    async def draft_from_misses(self, user: User, miss_ids: Sequence[str], title: str, answer: str) -> Article:
        """Turn logged questions into one draft: the first is its question, the rest similar questions."""
        require(user, WRITERS, "write articles")
        found = {m.id: m for m in await self.kb.misses_by_id(list(dict.fromkeys(miss_ids)))}
        missing = [i for i in miss_ids if i not in found]
        if not miss_ids or missing:
            raise NotFound(f"no such question in the log: {', '.join(missing) or '(none given)'}")
        texts = [found[i].text for i in miss_ids]
        article = await self.create(user, ArticleContent(title=title, question=texts[0], similar=texts[1:],
                                                         answer=answer))
        for miss_id in miss_ids:
            await self.kb.set_miss_status(miss_id, MissStatus.DRAFTED, article.id)
        return article

    async def dismiss_miss(self, user: User, miss_id: str) -> Miss:
        require(user, WRITERS, "work the questions log")
        return await self.kb.set_miss_status(miss_id, MissStatus.DISMISSED)
