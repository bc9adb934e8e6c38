"""The knowledge base over HTTP: articles and their workflow, versions, search, synonyms, the missed-questions log.

Everyone signed in may read and search (agents use search as agent assist); editors write and submit;
reviewers and admins publish, reject, roll back and switch articles on and off. Every change names the
``revision`` it was made on, so two editors never overwrite each other (409 ``stale_revision``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import Provide
from litestar.params import Parameter

from hub.api.deps import current_user, runtime_of
from hub.errors import InvalidInput, NotFound
from hub.library import REVIEWERS, WRITERS, BulkResult, Category, Library, require
from hub.models import STORE_INT_MAX, Channel, Suggested, User
from kb import porting
from kb.articles import Action, Article, ArticleContent, ArticleStatus, ArticleVersion
from kb.feedback import Miss, MissStatus

MAX_IMPORT_BYTES = 10_000_000  # Litestar's own request body limit
Revision = Annotated[int, msgspec.Meta(ge=1, le=STORE_INT_MAX)]
Note = Annotated[str, msgspec.Meta(max_length=1000)]
Ids = Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(min_length=1, max_length=200)]


class ArticleOut(msgspec.Struct):
    id: str
    status: ArticleStatus
    enabled: bool
    revision: int
    published_version: int | None
    latest_version: int
    live_version: int | None
    content: ArticleContent
    created_at: datetime
    updated_at: datetime
    updated_by: str | None
    review_note: str | None


def out(article: Article) -> ArticleOut:
    return ArticleOut(id=article.id, status=article.status, enabled=article.enabled, revision=article.revision,
                      published_version=article.published_version, latest_version=article.latest_version,
                      live_version=article.live_version, content=article.content, created_at=article.created_at,
                      updated_at=article.updated_at, updated_by=article.updated_by, review_note=article.review_note)


class EditIn(msgspec.Struct):
    revision: Revision
    content: ArticleContent


class StepIn(msgspec.Struct):
    revision: Revision
    note: Note | None = None


class RollbackIn(msgspec.Struct):
    revision: Revision
    version: Annotated[int, msgspec.Meta(ge=1, le=STORE_INT_MAX)]


class SynonymsIn(msgspec.Struct):
    groups: Annotated[list[list[str]], msgspec.Meta(max_length=5000)]


class DraftIn(msgspec.Struct):
    miss_ids: Ids
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class BulkIn(msgspec.Struct):
    action: Literal["submit", "publish", "reject", "archive", "restore", "enable", "disable"]
    ids: Ids


class SearchOut(msgspec.Struct):
    confidence: float | None
    suggestions: list[Suggested]


def library(request: Request) -> Library:
    return runtime_of(request).library


STEPS = {"submit": Action.SUBMIT, "reject": Action.REJECT, "archive": Action.ARCHIVE, "restore": Action.RESTORE}


class KnowledgeController(Controller):
    path = "/api/kb"
    dependencies = {"user": Provide(current_user)}
    tags = ["knowledge base"]

    @get("/articles")
    async def list_articles(
        self, request: Request, user: User, status: ArticleStatus | None = None, category: str | None = None,
        tag: str | None = None, q: Annotated[str | None, Parameter(max_length=200)] = None,
    ) -> list[ArticleOut]:
        return [out(a) for a in await library(request).find(status, category, tag, q)]

    @get("/categories")
    async def categories(self, request: Request, user: User) -> list[Category]:
        """The category tree, with article counts."""
        return await library(request).categories()

    @post("/articles", status_code=201)
    async def create(self, request: Request, user: User, data: ArticleContent) -> ArticleOut:
        return out(await library(request).create(user, data))

    @get("/articles/{article_id:str}")
    async def read(self, request: Request, user: User, article_id: str) -> ArticleOut:
        return out(await library(request).get(article_id))

    @put("/articles/{article_id:str}")
    async def edit(self, request: Request, user: User, article_id: str, data: EditIn) -> ArticleOut:
        return out(await library(request).edit(user, article_id, data.content, data.revision))

    @post("/articles/{article_id:str}/{step:str}", status_code=200)
    async def step(self, request: Request, user: User, article_id: str, step: str, data: StepIn) -> ArticleOut:
        """``submit``, ``reject``, ``archive``, ``restore``, ``publish``, ``enable`` or ``disable``."""
        lib = library(request)
        if step == "publish":
            return out(await lib.publish(user, article_id, data.revision, data.note))
        if step in ("enable", "disable"):
            return out(await lib.set_enabled(user, article_id, step == "enable", data.revision))
        if step not in STEPS:
            raise NotFound(f"no such step {step[:40]!r}; expected one of "
                           f"{sorted([*STEPS, 'publish', 'enable', 'disable'])}", code="unknown_step")
        return out(await lib.transition(user, article_id, STEPS[step], data.revision, data.note))

    @post("/articles/{article_id:str}/rollback", status_code=200)
    async def rollback(self, request: Request, user: User, article_id: str, data: RollbackIn) -> ArticleOut:
        return out(await library(request).rollback(user, article_id, data.version, data.revision))

    @get("/articles/{article_id:str}/versions")
    async def versions(self, request: Request, user: User, article_id: str) -> list[ArticleVersion]:
        return await library(request).versions(article_id)

    @get("/articles/{article_id:str}/diff")
    async def diff(
        self, request: Request, user: User, article_id: str,
        old: Annotated[int, Parameter(query="from", ge=1, le=STORE_INT_MAX)],
        new: Annotated[int | None, Parameter(query="to", ge=1, le=STORE_INT_MAX)] = None,
    ) -> dict[str, list[str]]:
        """Between two versions (``from``, ``to``), or from a version to the working copy (no ``to``)."""
        return await library(request).diff(article_id, old, new)

    @get("/search")
    async def search(
        self, request: Request, user: User, q: Annotated[str, Parameter(min_length=1, max_length=1000)],
        channel: Channel | None = None, k: Annotated[int, Parameter(ge=1, le=20)] = 5,
    ) -> SearchOut:
        """Agent assist: the live answers best matching ``q``, adapted to ``channel``."""
        found = await runtime_of(request).knowledge.search(q, channel, k)
        return SearchOut(confidence=round(found.confidence, 4) if found.suggestions else None,
                         suggestions=[Suggested(ref=s.ref, title=s.title, answer=s.answer, score=round(s.score, 4))
                                      for s in found.suggestions])

    @post("/import", status_code=201)
    async def import_articles(
        self, request: Request, user: User, format: Literal["json", "csv"] = "json", publish: bool = False,
    ) -> list[ArticleOut]:
        """The request body is the file: a JSON list of articles, or CSV (see kb.porting). All or nothing."""
        require(user, REVIEWERS if publish else WRITERS, "import articles")  # before reading a large body
        body = await request.body()
        if len(body) > MAX_IMPORT_BYTES:
            raise InvalidInput(f"an import is limited to {MAX_IMPORT_BYTES // 1_000_000} MB", code="too_long")
        try:  # checking thousands of records is CPU work: off the event loop
            contents = await asyncio.to_thread(porting.read_json if format == "json" else porting.read_csv, body)
        except UnicodeDecodeError:
            raise InvalidInput("the file is not UTF-8 text", code="invalid_import") from None
        return [out(a) for a in await library(request).import_contents(user, contents, publish)]

    @get("/export")
    async def export(self, request: Request, user: User, format: Literal["json", "csv"] = "json",
                     status: ArticleStatus | None = None) -> Response[bytes]:
        contents = await library(request).export(status)
        if format == "csv":
            return Response(porting.write_csv(contents).encode(), media_type="text/csv; charset=utf-8",
                            headers={"content-disposition": 'attachment; filename="kb.csv"'})
        return Response(porting.write_json(contents), media_type="application/json",
                        headers={"content-disposition": 'attachment; filename="kb.json"'})

    @post("/bulk", status_code=200)
    async def bulk(self, request: Request, user: User, data: BulkIn) -> list[BulkResult]:
        """One workflow action on many articles; each result says whether it was done and, if not, why."""
        return await library(request).bulk(user, data.action, data.ids)

    @get("/synonyms")
    async def synonyms(self, request: Request, user: User) -> SynonymsIn:
        return SynonymsIn(groups=await runtime_of(request).store.knowledge.get_synonyms())

    @put("/synonyms")
    async def set_synonyms(self, request: Request, user: User, data: SynonymsIn) -> SynonymsIn:
        return SynonymsIn(groups=await library(request).set_synonyms(user, data.groups))

    @get("/misses")
    async def misses(self, request: Request, user: User, status: MissStatus | None = MissStatus.OPEN) -> list[Miss]:
        """Questions the bot did not answer (or answered unsure of), newest first."""
        return await library(request).misses(status)

    @post("/misses/draft", status_code=201)
    async def draft(self, request: Request, user: User, data: DraftIn) -> ArticleOut:
        return out(await library(request).draft_from_misses(user, data.miss_ids, data.title, data.answer))

    @post("/misses/{miss_id:str}/dismiss", status_code=200)
    async def dismiss(self, request: Request, user: User, miss_id: str) -> Miss:
        return await library(request).dismiss_miss(user, miss_id)

