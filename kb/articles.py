"""Knowledge articles, their frozen versions, and the editorial workflow (pure: no I/O).

An article is the editors' working copy. Publishing freezes its content as an immutable numbered
version; the bot answers only from an article's published version, and only while the article is
enabled, not archived, and inside the version's validity window. Editing a published article starts a
new draft while the published version stays live until the next publish.
"""

from __future__ import annotations

import difflib
import enum
from datetime import UTC, datetime

import msgspec

from hub.errors import Conflict, InvalidInput
from hub.models import Channel

MAX_QUESTION_CHARS = 500
MAX_ANSWER_CHARS = 4000
MAX_SIMILAR = 200
MAX_TAGS = 20


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Action(enum.StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    REJECT = "reject"
    PUBLISH = "publish"
    ARCHIVE = "archive"
    RESTORE = "restore"


A, St = Action, ArticleStatus
TRANSITIONS: dict[tuple[ArticleStatus, Action], ArticleStatus] = {
    (St.DRAFT, A.EDIT): St.DRAFT,
    (St.IN_REVIEW, A.EDIT): St.DRAFT,  # a change after submission needs a new review
    (St.PUBLISHED, A.EDIT): St.DRAFT,  # the published version stays live meanwhile
    (St.DRAFT, A.SUBMIT): St.IN_REVIEW,
    (St.IN_REVIEW, A.REJECT): St.DRAFT,
    (St.IN_REVIEW, A.PUBLISH): St.PUBLISHED,
    (St.DRAFT, A.ARCHIVE): St.ARCHIVED,
    (St.IN_REVIEW, A.ARCHIVE): St.ARCHIVED,
    (St.PUBLISHED, A.ARCHIVE): St.ARCHIVED,
    (St.ARCHIVED, A.RESTORE): St.DRAFT,
}


def next_status(status: ArticleStatus, action: Action) -> ArticleStatus:
    try:
        return TRANSITIONS[status, action]
    except KeyError:
        raise Conflict(f"an article that is {status.value} cannot be {action.value}ed here",
                       code="illegal_transition") from None


class ArticleContent(msgspec.Struct, kw_only=True, frozen=True):
    """What a version freezes: everything the bot answers from."""

    title: str
    question: str
    answer: str
    similar: list[str] = []
    variants: dict[Channel, str] = {}  # per-channel answers; voice ones are short and speakable
    category: str | None = None  # a path in the category tree: "Billing/Refunds"
    tags: list[str] = []
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def questions(self) -> list[str]:
        """The canonical question first, then each distinct similar question."""
        seen: dict[str, None] = {self.question: None}
        for text in self.similar:
            seen.setdefault(text, None)
        return list(seen)

    def answer_for(self, channel: Channel | None) -> str:
        return self.variants.get(channel, self.answer) if channel is not None else self.answer

    def valid_at(self, moment: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= moment) and \
            (self.valid_to is None or moment < self.valid_to)


class Article(msgspec.Struct, kw_only=True):
    id: str
    content: ArticleContent
    status: ArticleStatus = ArticleStatus.DRAFT
    enabled: bool = True
    revision: int = 1  # bumped by every stored change: updates compare-and-set on it
    published_version: int | None = None  # the live version (while enabled and not archived)
    latest_version: int = 0
    created_at: datetime
    updated_at: datetime
    updated_by: str | None = None
    review_note: str | None = None

    @property
    def live_version(self) -> int | None:
        """The version the bot may answer from, if any."""
        if not self.enabled or self.status is ArticleStatus.ARCHIVED:
            return None
        return self.published_version


class ArticleVersion(msgspec.Struct, kw_only=True, frozen=True):
    article_id: str
    version: int
    content: ArticleContent
    published_at: datetime
    published_by: str | None = None
    note: str | None = None  # e.g. "rollback to 2"

    @property
    def ref(self) -> str:
        """How a bot message records its source: ``article_id@version``."""
        return f"{self.article_id}@{self.version}"


def checked(content: ArticleContent) -> ArticleContent:
    """The content with blank similar questions and tags dropped; InvalidInput when it cannot be stored."""
    title, question, answer = content.title.strip(), content.question.strip(), content.answer.strip()
    for name, value, limit in (("title", title, MAX_QUESTION_CHARS), ("question", question, MAX_QUESTION_CHARS),
                               ("answer", answer, MAX_ANSWER_CHARS)):
        if not value:
            raise InvalidInput(f"the article's {name} is empty", code="missing_field")
        if len(value) > limit:
            raise InvalidInput(f"the article's {name} is longer than {limit} characters", code="too_long")
    similar = [text.strip() for text in content.similar if text.strip()]
    tags = sorted({tag.strip() for tag in content.tags if tag.strip()})
    if len(similar) > MAX_SIMILAR or any(len(text) > MAX_QUESTION_CHARS for text in similar):
        raise InvalidInput(f"at most {MAX_SIMILAR} similar questions of {MAX_QUESTION_CHARS} characters each",
                           code="too_long")
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"at most {MAX_TAGS} tags", code="too_long")
    variants = {channel: text.strip() for channel, text in content.variants.items() if text.strip()}
    if any(len(text) > MAX_ANSWER_CHARS for text in variants.values()):
        raise InvalidInput(f"a channel answer is longer than {MAX_ANSWER_CHARS} characters", code="too_long")
    valid_from, valid_to = _utc(content.valid_from), _utc(content.valid_to)
    if valid_from and valid_to and valid_to <= valid_from:
        raise InvalidInput("valid_to must come after valid_from", code="invalid_field")
    category = "/".join(part.strip() for part in (content.category or "").split("/") if part.strip()) or None
    return ArticleContent(title=title, question=question, answer=answer, similar=similar, variants=variants,
                          category=category, tags=tags, valid_from=valid_from, valid_to=valid_to)


def _utc(moment: datetime | None) -> datetime | None:
    """A time without a zone is read as UTC; every stored time is UTC to the millisecond (as every backend keeps)."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    try:
        aware = aware.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59-14:00: past the calendar's end in UTC
        raise InvalidInput("valid_from and valid_to must be real dates, well inside years 1 to 9999",
                           code="invalid_field") from None
    return aware.replace(microsecond=aware.microsecond // 1000 * 1000)


def diff(old: ArticleContent, new: ArticleContent) -> dict[str, list[str]]:
    """Field by field, a unified diff of what changed (fields that did not change are absent)."""
    old_fields, new_fields = msgspec.to_builtins(old), msgspec.to_builtins(new)
    changes: dict[str, list[str]] = {}
    for name in old_fields.keys() | new_fields.keys():
        before, after = _lines(old_fields.get(name)), _lines(new_fields.get(name))
        if before != after:
            changes[name] = list(difflib.unified_diff(before, after, lineterm="", n=1))[2:]
    return dict(sorted(changes.items()))


def _lines(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, dict):
        return [f"{key}: {text}" for key, text in sorted(value.items())]
    return str(value).splitlines()
